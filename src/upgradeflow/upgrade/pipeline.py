"""The ``model_upgrade`` pipeline as data: its run parameters and its steps, in order.

The Airflow DAG (``dags/model_upgrade.py``) and the Kubeflow pipeline
(``kubeflow/pipeline.py``) are both built from this table, so a parameter or a step added
here reaches both and neither can drift from the other. Only the standard library and
the store's name rule are imported: the Kubeflow compiler runs in an environment of its
own that has neither Airflow nor torch.

A step's arguments are command-line tokens for ``python -m tasks.<module>``; a token
``{name}`` stands for a run parameter, or for one of what each orchestrator supplies
itself: ``{run_key}`` (from ``train_new_model``'s result), ``{lease_owner}`` (one per
run) and ``{shards}`` (a mapped instance's lane).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from upgradeflow.store.manifest import NAME

RUN_KEY = "run_key"
LEASE_OWNER = "lease_owner"
SHARDS = "shards"
SUPPLIED = (RUN_KEY, LEASE_OWNER, SHARDS)
TOKEN = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True)
class RunParameter:
    """One run parameter, typed as JSON Schema types it (what Airflow's ``Param`` checks)."""

    name: str
    default: str | int | float | bool
    type: str  # "string", "integer", "number" or "boolean"
    description: str = ""
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def schema(self) -> dict:
        """The JSON Schema keywords beyond the type, as ``Param`` takes them."""
        keywords = {"enum": list(self.enum), "pattern": self.pattern, "minimum": self.minimum, "maximum": self.maximum}
        return {key: value for key, value in keywords.items() if value not in (None, [])}


@dataclass(frozen=True)
class Step:
    """One step: ``python -m tasks.<module> <arguments>``, run once, or once per lane of
    the planning step ``lanes`` names."""

    task: str
    module: str
    arguments: tuple[str, ...]
    summary: str
    lanes: str | None = None  # the planning step whose lanes this step is mapped over
    after_skips: bool = False  # runs once no step before it failed, some skipped (an empty fan-out)
    moves: tuple[str, ...] = ()  # what a successful run changes: "gallery", "champion"
    trains: bool = False  # the one step that needs training resources (and a GPU, where given)
    retried: bool = True  # False where a retry cannot change the outcome

    def references(self) -> list[str]:
        """The names the arguments refer to, in order."""
        return [match.group(1) for token in self.arguments if (match := TOKEN.match(token))]

    def render(self, value_of) -> list:
        """The arguments with each ``{name}`` replaced by ``value_of(name)``; where that is
        None, the option naming it is left out as well (a mapped step's lane, which its
        orchestrator adds to each instance)."""
        out: list = []
        for token in self.arguments:
            match = TOKEN.match(token)
            if match is None:
                out.append(token)
            elif (value := value_of(match.group(1))) is None:
                out.pop()
            else:
                out.append(value)
        return out


MODEL_NAME_PATTERN = r"^[\w.-]+$"

PARAMETERS = (
    RunParameter(
        "old_model",
        "models:/upgradeflow-glyphs@champion",
        "string",
        "The model to upgrade from: models:/NAME@ALIAS or models:/NAME/VERSION",
        pattern=r"^models:/[^/@]+(@[\w-]+|/\d+)$",
    ),
    RunParameter("model_name", "upgradeflow-glyphs", "string", "registered model name", pattern=MODEL_NAME_PATTERN),
    RunParameter("gallery", "glyphs", "string", "the gallery's name in the store", pattern=NAME.pattern),
    RunParameter("index", "glyphs", "string", "the index's name in the store", pattern=NAME.pattern),
    RunParameter("index_kind", "flat", "string", "FAISS index kind", enum=("flat", "ivf", "hnsw")),
    RunParameter(
        "method",
        "dmu",
        "string",
        "compatibility method; sfsc also registers one version per sub-model width",
        enum=("dmu", "bct", "independent", "sfsc"),
    ),
    RunParameter("weighting", "posterior", "string", "DMU sample weights", enum=("posterior", "entropy", "margin")),
    RunParameter(
        "widths",
        "1.0,0.75,0.5,0.25",
        "string",
        "SFSC sub-model widths, descending, each in (0, 1]",
        pattern=r"^[0-9.]+(,[0-9.]+)*$",
    ),
    RunParameter("dataset", "glyphs", "string", "glyphs, fashion-mnist, parquet:PATH or folder:PATH"),
    RunParameter("mode", "quick", "string", "training size", enum=("quick", "full")),
    RunParameter("seed", 0, "integer", "seed of training and of the random backfill order", minimum=0),
    RunParameter("require_compatible", True, "boolean", "gate: new/old must beat old/old"),
    RunParameter(
        "compatibility_metrics",
        "map@100,top1",
        "string",
        "gate: the metrics on which new/old must beat old/old",
        enum=("map@100,top1", "map@100", "top1"),
    ),
    RunParameter(
        "max_new_new_regression",
        0.0,
        "number",
        "gate: mAP@100 points new/new may fall below the champion's own retrieval",
        minimum=0,
    ),
    RunParameter(
        "min_new_evolved",
        0.0,
        "number",
        "gate: least mAP@100 of new queries on the evolved gallery",
        minimum=0,
        maximum=100,
    ),
    RunParameter(
        "backfill_order",
        "worst-first",
        "string",
        "which items the backfill re-extracts first; worst-first needs the gallery's identities "
        "and fails without them (choose residual-first then)",
        enum=("worst-first", "residual-first", "random"),
    ),
    RunParameter("shard_concurrency", 4, "integer", "lanes of shards running at once", minimum=1, maximum=64),
    RunParameter("max_map_length", 256, "integer", "most mapped instances per fan-out", minimum=1, maximum=4096),
    RunParameter(
        "lease_ttl_s",
        21_600,  # six hours
        "integer",
        "seconds the run's gallery lease lasts without a renewal (each pointer move renews it); "
        "a run that dies without releasing it blocks the gallery this long",
        minimum=60,
    ),
)

_RUN = ("--run-key", "{run_key}")
_MODEL = ("--model-name", "{model_name}")
_GALLERY = ("--gallery", "{gallery}")
_INDEX = ("--index", "{index}", "--index-kind", "{index_kind}")
_LANES = ("--shard-concurrency", "{shard_concurrency}", "--max-map-length", "{max_map_length}")
_LANE = ("--shards", "{shards}")
_MOVES = (*_RUN, *_GALLERY, *_INDEX, "--lease-owner", "{lease_owner}")  # pointer moves renew the lease

_TRAIN = (
    "--old-model", "{old_model}", "--method", "{method}", "--weighting", "{weighting}", "--widths", "{widths}",
    *_GALLERY, "--dataset", "{dataset}", "--mode", "{mode}", "--seed", "{seed}",
)  # fmt: skip
_GATE = (
    *_RUN, *_MODEL,
    "--require-compatible", "{require_compatible}",
    "--compatibility-metrics", "{compatibility_metrics}",
    "--max-new-new-regression", "{max_new_new_regression}",
    "--min-new-evolved", "{min_new_evolved}",
)  # fmt: skip

TAKE_LEASE = Step(
    "take_lease",
    "lease",
    ("take", *_GALLERY, "--owner", "{lease_owner}", "--ttl-s", "{lease_ttl_s}"),
    "Take this run's lease on the gallery first, so no other run on it overlaps this one.",
)
RELEASE_LEASE = Step(
    "release_lease",
    "lease",
    ("release", *_GALLERY, "--owner", "{lease_owner}"),
    "Release the run's lease however the run ended.",
)

STEPS = (
    Step(
        "train_new_model",
        "train_new_model",
        _TRAIN,
        "Train the new model against the frozen old one, with its forward adapter.",
        trains=True,
    ),
    Step("evaluate", "evaluate", (*_RUN, *_MODEL), "Evaluate the trained run against the champion."),
    Step("register", "register", (*_RUN, *_MODEL), "Register the new model version as the challenger."),
    Step(
        "gate",
        "gate",
        _GATE,
        "Fail the run unless the new model meets the compatibility and regression bars.",
        retried=False,
    ),
    Step("plan_shards", "plan_shards", (*_RUN, *_GALLERY, *_LANES), "The lanes of gallery shards to evolve."),
    Step(
        "evolve_shard",
        "evolve_shard",
        (*_RUN, *_GALLERY, *_LANE),
        "Evolve one lane of gallery shards through the forward adapter.",
        lanes="plan_shards",
    ),
    Step(
        "seal_evolved",
        "seal_evolved",
        (*_RUN, *_GALLERY),
        "Seal the evolved gallery version once every lane has finished.",
        after_skips=True,
    ),
    Step(
        "build_index_shard",
        "build_index_shard",
        (*_RUN, *_GALLERY, *_INDEX, *_LANE),
        "Index one lane of evolved shards.",
        lanes="plan_shards",
    ),
    Step(
        "commit_evolved",
        "commit_evolved",
        _MOVES,
        "Make the evolved gallery and its index live.",
        after_skips=True,
        moves=("gallery",),
    ),
    Step(
        "plan_backfill",
        "plan_backfill",
        (*_RUN, *_MODEL, *_GALLERY, "--backfill-order", "{backfill_order}", "--seed", "{seed}", *_LANES),
        "Fix the backfill order once; the lanes of backfill shards.",
        after_skips=True,
    ),
    Step(
        "backfill_shard",
        "backfill_shard",
        (*_RUN, *_GALLERY, *_LANE),
        "Re-extract one lane of backfill shards with the new model.",
        lanes="plan_backfill",
    ),
    Step(
        "build_final_index",
        "build_final_index",
        (*_RUN, *_GALLERY, *_INDEX),
        "Seal the backfilled gallery and build its index.",
        after_skips=True,
    ),
    Step(
        "swap_backfilled",
        "swap_backfilled",
        _MOVES,
        "Make the backfilled gallery and its index live.",
        after_skips=True,
        moves=("gallery",),
    ),
    Step(
        "promote",
        "promote",
        (*_RUN, *_MODEL, *_GALLERY, *_INDEX),
        "Promote the new model to champion.",
        after_skips=True,
        moves=("champion",),
    ),
)
