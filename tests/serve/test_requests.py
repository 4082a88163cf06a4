"""What ``POST /search`` accepts: the parsed request within its limits, and query
vectors normalised exactly or refused, never silently changed."""

from __future__ import annotations

import numpy as np
import pytest

from tests.store.helpers import unit_vectors
from upgradeflow.serve.requests import Limits, RequestError, parse_search, query_matrix

DIM = 16


@pytest.mark.parametrize("value", [1e200, -1e200, 3.5e38], ids=["1e200", "-1e200", "over-float32"])
def test_values_outside_float32_are_refused_not_zeroed(value):
    with pytest.raises(RequestError, match=r"vectors\[1\] has values outside float32's range") as raised:
        query_matrix([[0.5] * DIM, [value] * DIM], DIM)
    assert raised.value.status == 422


def test_large_finite_values_are_normalised_exactly():
    """The norm is taken in float64: squaring 1e30 in float32 would overflow to an
    infinite norm and divide the query into zeros."""
    queries = unit_vectors(2, DIM, seed=4)
    normalised = query_matrix((queries.astype(np.float64) * 1e30).tolist(), DIM)
    assert normalised.dtype == np.float32 and normalised.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(normalised, queries, rtol=1e-6)


def test_the_refused_vector_is_named_by_its_position():
    with pytest.raises(RequestError, match=r"vectors\[1\] has 3 values; the index holds 16-d vectors"):
        query_matrix([[1.0] * DIM, [1.0] * 3], DIM)
    with pytest.raises(RequestError, match=r"vectors\[2\] is all zeros"):
        query_matrix([[1.0] * DIM, [1.0] * DIM, [0.0] * DIM], DIM)


def test_a_request_takes_ten_results_unless_told():
    request = parse_search({"images": ["aGk="]}, Limits())
    assert (request.k, request.images, request.vectors) == (10, ["aGk="], None)
    assert parse_search({"vectors": [[1, 2]], "k": "3"}, Limits(max_k=3)).k == 3  # numbers as JSON strings too
