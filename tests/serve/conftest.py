from __future__ import annotations

import pytest

from tests.serve.helpers import Deployment


@pytest.fixture
def deployment(tmp_path) -> Deployment:
    """A store with gallery v1 committed and its flat index live."""
    deployment = Deployment(tmp_path)
    deployment.commit("v1", seed=1)
    deployment.build_and_swap("v1")
    return deployment
