import numpy as np

from upgradeflow.evaluation.backfill_curve import backfill_curve, fraction_reaching, summarise_curve
from upgradeflow.evaluation.metrics import metrics_from_ranks, top1_correct
from upgradeflow.evaluation.ranking import positive_ranks


def spaces(seed=0, identities=30, per_identity=6, old_noise=1.2):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(identities), per_identity)
    centres = rng.normal(size=(identities, 12))

    def embed(noise):
        x = centres[labels] + noise * rng.normal(size=(len(labels), 12))
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    return labels, embed(0.3), embed(old_noise)


def random_order_curve(**options) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list]:
    """A random-order backfill curve over every sixth row as queries and the rest as the
    gallery; the curve, its spaces and rows, and the old system's ranks."""
    labels, new, old = spaces()
    queries, gallery = np.arange(0, len(labels), 6), np.setdiff1d(np.arange(len(labels)), np.arange(0, len(labels), 6))
    old_ranks = positive_ranks(old[queries], labels[queries], old[gallery], labels[gallery])
    order = np.random.default_rng(0).permutation(len(gallery))
    curve = backfill_curve(
        new[queries], old[queries], new[gallery], old[gallery], labels[queries], labels[gallery],
        order, top1_correct(old_ranks), **options,
    )  # fmt: skip
    return curve, labels, new, queries, gallery, old_ranks


def test_curve_runs_from_the_old_system_to_new_new_with_flips_at_every_step():
    curve, labels, new, queries, gallery, old_ranks = random_order_curve()
    new_new = metrics_from_ranks(positive_ranks(new[queries], labels[queries], new[gallery], labels[gallery]))
    assert curve["map@100"][0] == round(metrics_from_ranks(old_ranks).map_at_100, 3)
    assert curve["map@100"][-1] == round(new_new.map_at_100, 3)
    assert len(curve["negative_flip_rate"]) == 11 and curve["negative_flip_rate"][0] == 0.0
    summary = summarise_curve(curve, curve["map@100"][0], curve["map@100"][-1])
    assert 0 < summary["normalised_auc"] < 1


def test_fraction_reaching_interpolates_between_steps():
    fractions = [0.0, 0.5, 1.0]
    assert fraction_reaching(fractions, np.array([50.0, 70.0, 90.0]), 80.0) == 0.75
    assert fraction_reaching(fractions, np.array([85.0, 86.0, 90.0]), 80.0) == 0.0
    assert fraction_reaching(fractions, np.array([50.0, 60.0, 70.0]), 80.0) is None


def test_largest_drop_sees_a_dip():
    curve = {"fractions": [0.0, 0.5, 1.0], "map@100": [60.0, 55.0, 90.0]}
    assert summarise_curve(curve, 60.0, 90.0)["largest_drop"] == 5.0


def test_per_query_ap_averages_to_the_curve():
    curve, _, _, queries, _, _ = random_order_curve(per_query=True)
    assert curve["ap@100"].shape == (11, len(queries))
    np.testing.assert_allclose(100 * curve["ap@100"].mean(axis=1), curve["map@100"], atol=1e-3)


def test_each_step_is_the_merge_of_the_two_parts_at_that_fraction():
    """The merge grows step by step; every step equals a merge made afresh from the two
    parts' scores, with products given or computed alike."""
    from upgradeflow.evaluation.metrics import shallow_metrics
    from upgradeflow.evaluation.ranking import score_ranks

    labels, new, old = spaces(seed=3)
    queries, gallery = np.arange(0, len(labels), 6), np.setdiff1d(np.arange(len(labels)), np.arange(0, len(labels), 6))
    order = np.random.default_rng(1).permutation(len(gallery))
    correct = np.zeros(len(queries), dtype=bool)
    args = (new[queries], old[queries], new[gallery], old[gallery], labels[queries], labels[gallery], order, correct)
    curve = backfill_curve(*args)
    given = backfill_curve(*args, products=(new[queries] @ new[gallery].T, old[queries] @ old[gallery].T))
    assert given == curve
    for fraction, value in zip(curve["fractions"], curve["map@100"], strict=True):
        merged = old[queries] @ old[gallery].T
        done = order[: round(fraction * len(order))]
        merged[:, done] = (new[queries] @ new[gallery].T)[:, done]
        ranks = score_ranks(merged, labels[queries], labels[gallery], depth=100)
        assert value == round(shallow_metrics(ranks)[0], 3)


def test_a_curve_read_at_another_depth_says_so():
    curve, *_ = random_order_curve(cutoff=5, per_query=True)
    assert set(curve) >= {"map@5", "ap@5"} and "map@100" not in curve
    assert summarise_curve(curve, 0.0, 100.0, metric="map@5")["auc"] == round(float(np.mean(curve["map@5"])), 3)
