"""Serving policies during a backfill, chosen on held-out training pairs.

A policy is what the not-yet-backfilled part of the gallery is searched with (the
evolved gallery with the new query, or the old gallery through rho), the order items
are backfilled in, and how the two parts' scores are put on one scale before merging:
``raw`` (as they are), ``platt`` (each space's cosine as the log-odds of a shared
identity, fitted once per space) or ``per-query`` (each query's scores in units of its
own upper tail over a fixed reference sample of each space). No one scale suits every
pair of models, so each policy takes the simplest scale whose held-out backfill curve
never drops (a more elaborate one only when it is clearly better). "Never drops" is
judged with the held-out rows' own uncertainty: a curve is trusted only when its drop
stays within the limit at the 95th percentile of a bootstrap over its queries, since a
curve that only just passes on a few thousand held-out rows fails as often as not on
rows it was not chosen on. A policy whose held-out curve may drop under every scale is
not servable on that case, and the report says so. The test rows only ever measure
what was chosen without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from upgradeflow.backfill.calibration import CalibrationPairs, ScoreCalibration, tail_standardised
from upgradeflow.backfill.ordering import backfill_order
from upgradeflow.backfill.residuals import adapter_residuals
from upgradeflow.evaluation.backfill_curve import CUTOFF, FRACTIONS, backfill_curve, summarise_curve
from upgradeflow.evaluation.metrics import metrics_from_ranks, negative_flip_rate, shallow_metrics, top1_correct
from upgradeflow.evaluation.ranking import score_ranks

RESTS = ("evolved", "rho")
ORDERS = ("random", "worst-first", "residual-first")
SCALES = ("raw", "platt", "per-query")
MAX_DROP = 0.5  # mAP@100 points between two steps of 10% of the gallery
MIN_DEPTH = 10  # the shallowest held-out reading: fewer results say little about a ranking
SWAP_AT_END = "old-until-swap"
CLEARLY_BETTER = 0.5  # held-out AUC points a more elaborate scale must gain to be chosen
BOOTSTRAP_DRAWS = 1000
CONFIDENCE = 0.95


def _excess_drops(curves: np.ndarray) -> np.ndarray:
    """``excess_drop`` of each row of ``curves`` (draws x fractions), unrounded."""
    allowance = np.maximum(0.0, (curves[:, 0] - curves[:, -1]) / (curves.shape[1] - 1))
    falls = (curves[:, :-1] - curves[:, 1:]).max(axis=1, initial=0.0)
    return np.maximum(0.0, falls - allowance)


def excess_drop(values: list[float]) -> float:
    """The largest fall between two steps beyond the curve's own trend. A curve has to
    end at new/new; where the evolved gallery already beats new/new, every policy must
    end lower than it starts, and each step may fall by its share of that decline
    without the policy being at fault. A curve that rises has no allowance."""
    return round(float(_excess_drops(np.asarray(values, dtype=float)[None, :])[0]), 3)


def excess_drop_bound(per_query_ap: np.ndarray, seed: int, draws: int = BOOTSTRAP_DRAWS) -> float:
    """The ``CONFIDENCE`` quantile of ``excess_drop`` over curves resampled from the
    queries (``per_query_ap``: fractions x queries, AP@100 as fractions of one): how far
    the curve may fall beyond its trend on another sample of queries like these."""
    count = per_query_ap.shape[1]
    weights = np.random.default_rng(seed).multinomial(count, np.full(count, 1 / count), size=draws) / count
    return round(float(np.quantile(_excess_drops(100 * weights @ per_query_ap.T), CONFIDENCE)), 3)


@dataclass(frozen=True)
class Rows:
    """Query and gallery rows with every embedding a policy can search with."""

    query_new: np.ndarray
    query_old: np.ndarray
    query_rho: np.ndarray
    query_identities: np.ndarray
    gallery_new: np.ndarray
    gallery_old: np.ndarray
    gallery_evolved: np.ndarray
    gallery_identities: np.ndarray
    excluded: np.ndarray | None = None  # per query, its own gallery row (a set searching itself)
    _products: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def rest(self, rest: str) -> tuple[np.ndarray, np.ndarray]:
        """(queries, gallery) of the part not yet backfilled."""
        if rest == "evolved":
            return self.query_new, self.gallery_evolved
        return self.query_rho, self.gallery_old

    def product(self, part: str) -> np.ndarray:
        """Raw inner products of the queries with the gallery in ``part`` ("new" or a
        rest), computed once for these rows: every policy's curve reads them, and only
        the calibrations and the orders differ."""
        if part not in self._products:
            queries, gallery = (self.query_new, self.gallery_new) if part == "new" else self.rest(part)
            self._products[part] = queries @ gallery.T
        return self._products[part]


@dataclass(frozen=True)
class Reference:
    """A fixed sample of items in every space (held-out training rows, mapped by the
    adapters fitted without them), and each space's log-odds calibration on them."""

    new: np.ndarray
    old: np.ndarray
    evolved: np.ndarray
    platt: dict[str, ScoreCalibration]  # "new", "evolved", "rho"

    @classmethod
    def of(cls, new: np.ndarray, old: np.ndarray, evolved: np.ndarray, rho: np.ndarray, identities: np.ndarray):
        pairs = CalibrationPairs.of(identities)
        platt = {}
        if pairs is not None:
            platt = {
                "new": pairs.calibration(new, new),
                "evolved": pairs.calibration(new, evolved),
                "rho": pairs.calibration(rho, old),
            }
        return cls(new, old, evolved, platt)

    def calibrations(self, scale: str, rest: str, rows: Rows) -> tuple[ScoreCalibration, ScoreCalibration] | None:
        """(new part, rest) calibrations for ``rows``' queries; None when the scale
        cannot be fitted (``platt`` needs identities with two rows)."""
        if scale == "raw":
            return ScoreCalibration(), ScoreCalibration()
        if scale == "platt":
            return (self.platt["new"], self.platt[rest]) if self.platt else None
        rest_queries, _ = rows.rest(rest)
        rest_reference = self.evolved if rest == "evolved" else self.old
        return tail_standardised(rows.query_new, self.new), tail_standardised(rest_queries, rest_reference)


def orders(rows: Rows, seed: int) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Every ordering the rows allow, and why the others are left out."""
    count = len(rows.gallery_identities)
    found = {
        "random": backfill_order("random", count, seed=seed),
        "residual-first": backfill_order(
            "residual-first", count, residuals=adapter_residuals(rows.gallery_old, rows.gallery_evolved)
        ),
    }
    skipped = {}
    _, counts = np.unique(rows.gallery_identities, return_counts=True)
    if (counts < 2).any():
        skipped["worst-first"] = (
            f"worst-first scores each gallery item against leave-one-out prototypes of its identity; "
            f"{int((counts < 2).sum())} of {len(counts)} gallery identities have one row"
        )
    else:
        found["worst-first"] = backfill_order(
            "worst-first", count, old_features=rows.gallery_old, identities=rows.gallery_identities
        )
    return {name: found[name] for name in ORDERS if name in found}, skipped


def _system_ranks(rows: Rows) -> dict[str, list[np.ndarray]]:
    """Ranks of the positives under the old system (old/old) and the finished upgrade (new/new)."""
    scores = {"old": rows.query_old @ rows.gallery_old.T, "new": rows.product("new").copy()}  # ranking marks them
    return {
        space: score_ranks(product, rows.query_identities, rows.gallery_identities, rows.excluded)
        for space, product in scores.items()
    }


@dataclass(frozen=True)
class Systems:
    """The old system (old/old) and the finished upgrade (new/new) on a set of rows: the
    bounds every curve is normalised by, and the swap-at-end baseline, from one ranking each."""

    old: list[np.ndarray]
    new: list[np.ndarray]

    @classmethod
    def of(cls, rows: Rows) -> Systems:
        ranks = _system_ranks(rows)
        return cls(ranks["old"], ranks["new"])

    @property
    def bounds(self) -> tuple[float, float]:
        return metrics_from_ranks(self.old).map_at_100, metrics_from_ranks(self.new).map_at_100

    def bounds_at(self, depth: int) -> tuple[float, float]:
        """old/old and new/new as mAP@depth."""
        return shallow_metrics(self.old, depth)[0], shallow_metrics(self.new, depth)[0]

    @property
    def old_correct(self) -> np.ndarray:
        return top1_correct(self.old)

    def swap_at_end_curve(self, fractions: tuple[float, ...] = FRACTIONS) -> dict:
        """The baseline every policy must beat: the old system serves while the backfill
        runs beside it, and the finished new index is swapped in at the end (the
        pipeline's final swap, without ever making the evolved gallery live)."""
        old, new = metrics_from_ranks(self.old), metrics_from_ranks(self.new)
        flips = negative_flip_rate(self.old_correct, top1_correct(self.new))
        steps = len(fractions) - 1
        curve = {
            "fractions": list(fractions),
            "map@100": [round(old.map_at_100, 3)] * steps + [round(new.map_at_100, 3)],
            "top1": [round(old.top1, 3)] * steps + [round(new.top1, 3)],
            "negative_flip_rate": [0.0] * steps + [round(flips, 3)],
        }
        return curve | summarise_curve(curve, old.map_at_100, new.map_at_100)


def policy_curve(
    rows: Rows,
    rest: str,
    order: np.ndarray,
    calibrations,
    bounds: tuple[float, float],
    old_correct,
    per_query=False,
    depth: int = CUTOFF,
):
    rest_queries, rest_gallery = rows.rest(rest)
    curve = backfill_curve(
        rows.query_new, rest_queries, rows.gallery_new, rest_gallery, rows.query_identities,
        rows.gallery_identities, order, old_correct, new_calibration=calibrations[0],
        rest_calibration=calibrations[1], excluded=rows.excluded, per_query=per_query,
        products=(rows.product("new"), rows.product(rest)), cutoff=depth,
    )  # fmt: skip
    return curve | summarise_curve(curve, *bounds, metric=f"map@{depth}")


def held_out_depth(held_out_gallery: int, gallery: int) -> int:
    """The depth at which the held-out curves are read: AP@100 on the evaluated gallery
    reads its nearest 100/``gallery`` share, and held-out rows read at AP@100 would judge
    a looser neighbourhood than the one served. On Fashion-MNIST (2,000 held-out rows,
    a 9,000-item gallery) worst-first backfilling looked flat at AP@100 and lost 1.6 of
    its 2.2 points in the first step at AP@22, as it then did on the evaluated rows."""
    return max(MIN_DEPTH, min(CUTOFF, round(CUTOFF * held_out_gallery / gallery)))


def _best_scale(tried: dict[str, dict]) -> tuple[str, bool]:
    """Among the scales that never drop beyond the trend (at the bootstrap bound), the
    simplest (``SCALES`` order) unless a later one has an AUC more than
    ``CLEARLY_BETTER`` higher, and True; else the one whose bound is least, and False.
    Held-out rows are few, and the simpler scale has less to go wrong on rows it was
    not chosen on."""
    flat = [scale for scale in SCALES if scale in tried and tried[scale]["excess_drop_bound"] <= MAX_DROP]
    if not flat:
        return min(tried, key=lambda scale: tried[scale]["excess_drop_bound"]), False
    best = flat[0]
    for scale in flat[1:]:
        if tried[scale]["auc"] > tried[best]["auc"] + CLEARLY_BETTER:
            best = scale
    return best, True


def choose_scales(rows: Rows, reference: Reference, seed: int, depth: int = CUTOFF) -> dict[str, dict]:
    """Per policy (rest x order): each scale's held-out summary at mAP@``depth``
    (``held_out_depth``), the scale chosen (no step drops more than ``MAX_DROP`` beyond
    the trend at the bootstrap bound, then the simplest; else the smallest such bound)
    and whether the policy is servable."""
    systems = Systems.of(rows)
    bounds, old_correct = systems.bounds_at(depth), systems.old_correct
    found, skipped = orders(rows, seed)
    chosen: dict[str, dict] = {}
    for rest in RESTS:
        for order_name, order in found.items():
            tried = {}
            for scale in SCALES:
                calibrations = reference.calibrations(scale, rest, rows)
                if calibrations is None:
                    continue
                curve = policy_curve(rows, rest, order, calibrations, bounds, old_correct, True, depth)
                tried[scale] = {
                    "auc": curve["auc"],
                    "largest_drop": curve["largest_drop"],
                    "excess_drop": excess_drop(curve[f"map@{depth}"]),
                    "excess_drop_bound": excess_drop_bound(curve[f"ap@{depth}"], seed),
                }
            scale, servable = _best_scale(tried)
            chosen[f"{rest}-{order_name}"] = {
                "rest": rest, "order": order_name, "scale": scale, "servable": servable, "held_out": tried,
            }  # fmt: skip
    swap = systems.swap_at_end_curve()
    held = {  # the baseline is served whatever its curve does: nothing to bound
        "raw": {"auc": swap["auc"], "largest_drop": swap["largest_drop"], "excess_drop": excess_drop(swap["map@100"]),
                "excess_drop_bound": None}
    }  # fmt: skip
    chosen[SWAP_AT_END] = {"rest": "old", "order": None, "scale": "raw", "servable": True, "held_out": held}
    return {"policies": chosen, "skipped_orders": skipped, "held_out_bounds": bounds, "held_out_depth": depth}


def held_out_rows(
    new: np.ndarray, old: np.ndarray, evolved: np.ndarray, rho: np.ndarray, identities: np.ndarray
) -> Rows | None:
    """The held-out training rows as a retrieval set that searches itself, each row
    against all the others; None when no identity has two rows (no row would have a
    positive)."""
    _, counts = np.unique(identities, return_counts=True)
    if not (counts > 1).any():
        return None
    own = np.arange(len(identities))
    return Rows(new, old, rho, identities, new, old, evolved, identities, excluded=own)


def evaluated_curves(rows: Rows, reference: Reference, choice: dict, seed: int) -> dict:
    """The chosen policies' curves on the evaluated rows, each with whether it meets the
    no-drop rule there."""
    systems = Systems.of(rows)
    bounds, old_correct = systems.bounds, systems.old_correct
    found, skipped = orders(rows, seed)
    curves = {}
    for name, policy in choice["policies"].items():
        if name == SWAP_AT_END:
            curve = systems.swap_at_end_curve()
        elif policy["order"] in found:
            calibrations = reference.calibrations(policy["scale"], policy["rest"], rows)
            curve = policy_curve(rows, policy["rest"], found[policy["order"]], calibrations, bounds, old_correct)
        else:
            continue
        excess = excess_drop(curve["map@100"])
        curves[name] = {**policy, **curve, "excess_drop": excess, "meets_no_drop": excess <= MAX_DROP}
    return {"curves": curves, "skipped_orders": skipped}


def recommended(choice: dict, measured: dict) -> str | None:
    """The servable policy with the largest held-out AUC among those the evaluated rows
    allow (an ordering the held-out rows allow may not apply to the gallery)."""
    servable = {name: p for name, p in choice["policies"].items() if p["servable"] and name in measured}
    if not servable:
        return None
    return max(servable, key=lambda name: servable[name]["held_out"].get(servable[name]["scale"], {}).get("auc", -1.0))
