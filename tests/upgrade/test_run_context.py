"""Every step of one run opens the same run from its key alone: the training record, its
checkpoints and new model, and the gallery versions it evolves and backfills."""

from __future__ import annotations

import pytest
import torch

from tests.backfill.helpers import evolved_gallery, image_dataset
from tests.store.helpers import make_adapter
from tests.upgrade.helpers import KEY, finished_run
from upgradeflow.errors import UserInputError
from upgradeflow.models.adapter import adapter_digest
from upgradeflow.registry.model_package import MODEL_FILE
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.location import open_store
from upgradeflow.upgrade.run_context import UpgradeRun


def test_a_run_opens_its_record_files_and_model(tmp_path):
    store = open_store(str(tmp_path / "store"))
    model = finished_run(store, tmp_path / "upload")
    run = UpgradeRun(store, KEY)
    assert run.record["spec"] == {"method": "dmu"}
    assert sorted(p.name for p in run.files.iterdir()) == [f"{MODEL_FILE}.json", f"{MODEL_FILE}.pt"]
    images = torch.zeros(2, 1, model.config.image_size, model.config.image_size)
    torch.testing.assert_close(run.new_model().eval()(images), model(images))


def test_a_key_without_a_finished_run_is_refused_in_one_line(tmp_path):
    store = open_store(str(tmp_path / "store"))
    with pytest.raises(UserInputError, match="no finished training run with this key") as raised:
        _ = UpgradeRun(store, KEY).record
    assert "\n" not in str(raised.value)
    with pytest.raises(UserInputError, match="not a run key"):
        UpgradeRun(store, "../runs")


def test_the_run_finds_the_versions_it_evolves_and_backfills(tmp_path):
    store = open_store(str(tmp_path / "store"))
    adapter = make_adapter(tmp_path / "adapter")
    finished_run(store, tmp_path / "upload", record={"adapter_sha256": adapter_digest(adapter)})
    evolved = evolved_gallery(Gallery(store, "g"), image_dataset(tmp_path / "images.parquet"), adapter)
    run = UpgradeRun(store, KEY)
    gallery, evolution = run.evolution("g")
    assert (gallery.name, evolution.source, evolution.target, evolution.done) == ("g", "v1", evolved, True)
    _, backfill = run.backfill("g")
    assert (backfill.source, backfill.target) == (evolved, f"{evolved}.backfill-{KEY[:8]}")
