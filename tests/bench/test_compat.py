"""The quick compatibility benchmark end to end on the real glyph data (minutes): run
once for the module, then each claim of the documented result checked on its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import needs_fonts
from upgradeflow.embeddings import read_embedding_table
from upgradeflow.index.sharded import IndexCatalog, ShardedIndex
from upgradeflow.store.gallery import Gallery
from upgradeflow.store.importer import import_tables
from upgradeflow.store.local import LocalStore

pytestmark = [pytest.mark.slow, pytest.mark.fonts, needs_fonts]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick(full_glyphs_dir, tmp_path_factory) -> tuple[Path, dict, str]:
    """The result file, its document and the printed table of one quick run."""
    out = tmp_path_factory.mktemp("compat") / "results" / "quick.json"
    command = [
        sys.executable, "-m", "upgradeflow.cli", "bench", "compat", "--dataset", "glyphs", "--quick",
        "--methods", "old,independent,bct,dmu", "--data-dir", str(full_glyphs_dir), "--out", str(out),
        "--no-progress", "--save-embeddings",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return out, json.loads(out.read_text()), result.stdout


def test_the_result_has_the_documented_shape(quick):
    out, document, printed = quick
    assert "| bct | new/old |" in printed
    assert set(document) >= {"dataset", "config", "methods", "environment"}
    assert document["identities"] == "test"
    assert set(document["methods"]) == {"old", "independent", "bct", "dmu"}
    for name in ("independent", "bct", "dmu"):
        matrix = document["methods"][name]["matrix"]
        assert set(matrix) == {"old/old", "new/old", "new/evolved", "new/new"}
        assert set(matrix["new/new"]) >= {"map@100", "map", "top1", "top5"}
        assert document["methods"][name]["train_seconds"] > 0
    assert set(document["against_bct"]["dmu"]) == {"new/old", "new/evolved", "new/new"}
    assert out.with_suffix(".md").read_text().startswith("Compatibility benchmark")
    assert out.with_suffix(".png").read_bytes()[:8] == PNG


def test_bct_shares_the_old_space_and_an_independent_model_does_not(quick):
    _, document, _ = quick
    independent, bct = document["methods"]["independent"]["matrix"], document["methods"]["bct"]["matrix"]
    assert independent["new/old"]["map@100"] < 5
    assert bct["new/old"]["map@100"] > 5 * independent["new/old"]["map@100"] + 20
    assert independent["new/new"]["map@100"] > independent["old/old"]["map@100"]
    # The evolved gallery is searchable by new queries: far above the untouched old one
    # for a model that shares no space with it.
    assert independent["new/evolved"]["map@100"] > independent["new/old"]["map@100"] + 10


def test_dmu_records_its_adapter_weights_and_ceiling(quick):
    out, document, _ = quick
    dmu = document["methods"]["dmu"]
    assert dmu["adapter"] == "joint, refined" and document["methods"]["bct"]["adapter"] == "post-hoc"
    weights = dmu["per_seed"][0]["weights"]
    assert 0 <= weights["unseen_mean"] <= 1 and 0 <= weights["seen_mean"] <= 1
    # The diagnostic adapter fitted on the evaluated gallery itself bounds the evolution
    # from above: for a compatible model it closes more of the gap than one fitted on the
    # training images.
    for name in ("bct", "dmu"):
        method = document["methods"][name]
        assert method["evolution_ceiling"]["mean"] > method["gap_closed"]["mean"], name
    assert "| ceiling |" in out.with_suffix(".md").read_text()


def test_backfill_curves_end_at_new_new_and_share_one_plot(quick):
    out, document, _ = quick
    dmu = document["methods"]["dmu"]
    curves = dmu["backfill_curves"]
    expected = {"naive", "merge-old-query", "merge-rho", "merge-rho-metric", "evolved", "evolved-worst-first"}
    assert expected <= set(curves)
    for curve in curves.values():
        assert curve["map@100"][-1] == pytest.approx(dmu["matrix"]["new/new"]["map@100"], abs=1e-3)
        assert len(curve["negative_flip_rate"]) == len(curve["fractions"]) == 11
    assert dmu["backfill"]["curve"] == "evolved-worst-first"
    assert "backfill_curves" not in document["methods"]["bct"]
    assert out.with_name("quick-backfill-dmu.png").read_bytes()[:8] == PNG


def test_saved_embeddings_seed_a_gallery_that_reproduces_the_number(quick, tmp_path):
    out, document, _ = quick
    embeddings = out.with_suffix("") / "embeddings"
    gallery = Gallery(LocalStore(tmp_path / "store"), "glyphs")
    import_tables(gallery, embeddings / "seed0-old-gallery.parquet", version="old", shard_rows=5000, progress=False)
    catalog = IndexCatalog(gallery.store, "glyphs")
    version, _ = catalog.build(gallery, progress=False)
    _, queries, query_labels = read_embedding_table(embeddings / "seed0-bct-query.parquet", need_identity=True)
    ids, _, labels = read_embedding_table(embeddings / "seed0-old-gallery.parquet", need_identity=True)
    label_of = dict(zip(ids.tolist(), labels.tolist(), strict=True))
    _, found = ShardedIndex.load(catalog, version).search(queries, 1)
    top1 = 100 * np.mean([label_of[hit[0]] == label for hit, label in zip(found, query_labels, strict=True)])
    assert abs(top1 - document["methods"]["bct"]["matrix"]["new/old"]["top1"]) < 0.5
