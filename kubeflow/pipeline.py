"""The ``model_upgrade`` pipeline for Kubeflow Pipelines v2: the same containerised steps
as the Airflow DAG (``dags/model_upgrade.py``), run as ``python -m tasks.<step> ARGS`` in
the task image, with the same run parameters and defaults.

Only kfp and the standard library are imported here: kfp pins a Kubernetes client and
protobuf that the Airflow environment cannot share, so this compiles in its own
virtual environment (see ``kubeflow/README.md``)::

    .venv-kfp/bin/python kubeflow/pipeline.py model_upgrade.yaml [--gpu] [--image IMAGE]

Each step writes its JSON result to ``$UPGRADEFLOW_RESULT_FILE`` (``tasks/_step.py``);
here that variable names the step's kfp output parameter file, so results flow between
steps as kfp outputs without any change to the step code. The KFP launcher substitutes
placeholders only in a container's command and arguments, not in its environment, so the
variable is set through ``env`` on the command line rather than on the container spec.
"""

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kfp import compiler, dsl

DEFAULT_IMAGE = "upgradeflow:0.1.0"
PIPELINE_NAME = "model-upgrade"
RESULT_ENV = "UPGRADEFLOW_RESULT_FILE"
GPU_RESOURCE = "nvidia.com/gpu"
# shard_concurrency's maximum: the lanes plan_shards returns already respect the run's
# own shard_concurrency, so the loop's limit only guards the cluster.
DEFAULT_PARALLELISM = 64
# Steps whose failure a retry cannot change: the gate's verdict is deterministic.
NOT_RETRIED = frozenset({"gate"})
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Reads the run key from train_new_model's JSON in the task image itself, so no extra
# image and no package installation at run time (clusters without egress work too).
_RUN_KEY_SCRIPT = (
    "import json, pathlib, sys\n"
    "out = pathlib.Path(sys.argv[2])\n"
    "out.parent.mkdir(parents=True, exist_ok=True)\n"
    "out.write_text(json.loads(sys.argv[1])['run_key'])\n"
)


def _command(step: str, result: str) -> list[str]:
    """``python -m tasks.<step>`` with its result file pointed at the kfp output ``result``."""
    return ["env", f"{RESULT_ENV}={result}", "python", "-m", f"tasks.{step}"]


# One container component per step: arguments mirror how the Airflow DAG builds each
# step's command line. ``result`` is the step's JSON, as a kfp output parameter.


@dsl.container_component
def take_lease(gallery: str, owner: str, ttl_s: int, result: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """Take this run's lease on the gallery first, so no other run on it overlaps this one."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("lease", result),
        args=["take", "--gallery", gallery, "--owner", owner, "--ttl-s", ttl_s],
    )


@dsl.container_component
def release_lease(gallery: str, owner: str, result: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """Release the run's lease however the run ended (the pipeline's exit handler)."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("lease", result),
        args=["release", "--gallery", gallery, "--owner", owner],
    )


@dsl.container_component
def train_new_model(
    old_model: str,
    method: str,
    weighting: str,
    widths: str,
    gallery: str,
    dataset: str,
    mode: str,
    seed: int,
    result: dsl.OutputPath(str),
) -> dsl.ContainerSpec:
    """Train the new model against the frozen old one, with its forward adapter."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("train_new_model", result),
        args=[
            "--old-model", old_model, "--method", method, "--weighting", weighting, "--widths", widths,
            "--gallery", gallery, "--dataset", dataset, "--mode", mode, "--seed", seed,
        ],
    )  # fmt: skip


@dsl.container_component
def extract_run_key(train_result: str, key: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """The run key from train_new_model's JSON: what every later step works on."""
    return dsl.ContainerSpec(image=DEFAULT_IMAGE, command=["python", "-c", _RUN_KEY_SCRIPT, train_result, key])


@dsl.container_component
def evaluate(run_key: str, model_name: str, result: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """Evaluate the trained run."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("evaluate", result),
        args=["--run-key", run_key, "--model-name", model_name],
    )


@dsl.container_component
def register(run_key: str, model_name: str, result: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """Register the new model version."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("register", result),
        args=["--run-key", run_key, "--model-name", model_name],
    )


@dsl.container_component
def gate(
    run_key: str,
    model_name: str,
    require_compatible: bool,
    compatibility_metrics: str,
    max_new_new_regression: float,
    min_new_evolved: float,
    result: dsl.OutputPath(str),
) -> dsl.ContainerSpec:
    """Fail the run unless the new model meets the compatibility and regression bars."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("gate", result),
        args=[
            "--run-key", run_key,
            "--model-name", model_name,
            "--require-compatible", require_compatible,
            "--compatibility-metrics", compatibility_metrics,
            "--max-new-new-regression", max_new_new_regression,
            "--min-new-evolved", min_new_evolved,
        ],
    )  # fmt: skip


@dsl.container_component
def plan_shards(
    run_key: str, gallery: str, shard_concurrency: int, max_map_length: int, lanes: dsl.OutputPath(list)
) -> dsl.ContainerSpec:
    """The lanes of gallery shards to fan out over: a JSON list, so kfp can loop over it."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("plan_shards", lanes),
        args=[
            "--run-key", run_key,
            "--gallery", gallery,
            "--shard-concurrency", shard_concurrency,
            "--max-map-length", max_map_length,
        ],
    )  # fmt: skip


@dsl.container_component
def evolve_shard(run_key: str, gallery: str, shards: str, result: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """Evolve one lane of gallery shards through the forward adapter."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("evolve_shard", result),
        args=["--run-key", run_key, "--gallery", gallery, "--shards", shards],
    )


@dsl.container_component
def seal_evolved(run_key: str, gallery: str, result: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """Seal the evolved gallery version once every lane has finished."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("seal_evolved", result),
        args=["--run-key", run_key, "--gallery", gallery],
    )


@dsl.container_component
def build_index_shard(
    run_key: str, gallery: str, index: str, index_kind: str, shards: str, result: dsl.OutputPath(str)
) -> dsl.ContainerSpec:
    """Index one lane of evolved shards."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("build_index_shard", result),
        args=[
            "--run-key", run_key,
            "--gallery", gallery,
            "--index", index,
            "--index-kind", index_kind,
            "--shards", shards,
        ],
    )  # fmt: skip


@dsl.container_component
def commit_evolved(
    run_key: str, gallery: str, index: str, index_kind: str, lease_owner: str, result: dsl.OutputPath(str)
) -> dsl.ContainerSpec:
    """Make the evolved gallery and its index live, renewing the run's lease first."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("commit_evolved", result),
        args=[
            "--run-key", run_key,
            "--gallery", gallery,
            "--index", index,
            "--index-kind", index_kind,
            "--lease-owner", lease_owner,
        ],
    )  # fmt: skip


@dsl.container_component
def plan_backfill(
    run_key: str,
    model_name: str,
    gallery: str,
    backfill_order: str,
    seed: int,
    shard_concurrency: int,
    max_map_length: int,
    lanes: dsl.OutputPath(list),
) -> dsl.ContainerSpec:
    """Store the backfill order once; the lanes of backfill shards to fan out over."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("plan_backfill", lanes),
        args=[
            "--run-key", run_key,
            "--model-name", model_name,
            "--gallery", gallery,
            "--backfill-order", backfill_order,
            "--seed", seed,
            "--shard-concurrency", shard_concurrency,
            "--max-map-length", max_map_length,
        ],
    )  # fmt: skip


@dsl.container_component
def backfill_shard(run_key: str, gallery: str, shards: str, result: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """Re-extract one lane of backfill shards with the new model."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("backfill_shard", result),
        args=["--run-key", run_key, "--gallery", gallery, "--shards", shards],
    )


@dsl.container_component
def build_final_index(
    run_key: str, gallery: str, index: str, index_kind: str, result: dsl.OutputPath(str)
) -> dsl.ContainerSpec:
    """Seal the backfilled gallery and build its index."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("build_final_index", result),
        args=["--run-key", run_key, "--gallery", gallery, "--index", index, "--index-kind", index_kind],
    )


@dsl.container_component
def swap_backfilled(
    run_key: str, gallery: str, index: str, index_kind: str, lease_owner: str, result: dsl.OutputPath(str)
) -> dsl.ContainerSpec:
    """Make the backfilled gallery and its index live, renewing the run's lease first."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("swap_backfilled", result),
        args=[
            "--run-key", run_key,
            "--gallery", gallery,
            "--index", index,
            "--index-kind", index_kind,
            "--lease-owner", lease_owner,
        ],
    )  # fmt: skip


@dsl.container_component
def promote(
    run_key: str, model_name: str, gallery: str, index: str, index_kind: str, result: dsl.OutputPath(str)
) -> dsl.ContainerSpec:
    """Promote the new model to champion."""
    return dsl.ContainerSpec(
        image=DEFAULT_IMAGE,
        command=_command("promote", result),
        args=[
            "--run-key", run_key,
            "--model-name", model_name,
            "--gallery", gallery,
            "--index", index,
            "--index-kind", index_kind,
        ],
    )  # fmt: skip


@dataclass(frozen=True)
class CompileOptions:
    """What is fixed when the pipeline is compiled rather than chosen per run.

    The image, resources and environment become part of each task's pod spec, which
    kfp only lets a run override through the kfp-kubernetes extension.
    """

    image: str = DEFAULT_IMAGE
    gpu: bool = False
    cpu: str = "1"
    memory: str = "2Gi"
    train_cpu: str = "2"
    train_memory: str = "4Gi"
    parallelism: int = DEFAULT_PARALLELISM
    retries: int = 2
    retry_backoff: str = "30s"
    env: dict[str, str] = field(default_factory=dict)


def build_pipeline(options: CompileOptions) -> Callable:
    """The ``model_upgrade`` pipeline function for ``options``; parameters match the DAG's Params."""

    def configure(task: dsl.PipelineTask, step: str, cpu: str, memory: str) -> dsl.PipelineTask:
        task.set_display_name(step).set_container_image(options.image)
        task.set_cpu_request(cpu).set_memory_request(memory)
        # Steps read and write the object store and the registry, which a kfp cache key
        # cannot see (an alias such as @champion moves): never replay an old result.
        task.set_caching_options(False)
        if options.retries and step not in NOT_RETRIED:
            task.set_retry(num_retries=options.retries, backoff_duration=options.retry_backoff)
        for name, value in options.env.items():
            task.set_env_variable(name, value)
        return task

    def step(task: dsl.PipelineTask, name: str) -> dsl.PipelineTask:
        return configure(task, name, options.cpu, options.memory)

    @dsl.pipeline(
        name=PIPELINE_NAME,
        description="Train a compatible new embedding model, gate it, evolve the gallery into its space, "
        "index it, make it live, backfill it with the new model, swap the backfill in and promote the model.",
    )
    def model_upgrade(
        old_model: str = "models:/upgradeflow-glyphs@champion",
        model_name: str = "upgradeflow-glyphs",
        gallery: str = "glyphs",
        index: str = "glyphs",
        index_kind: str = "flat",
        method: str = "dmu",
        weighting: str = "posterior",
        widths: str = "1.0,0.75,0.5,0.25",
        dataset: str = "glyphs",
        mode: str = "quick",
        seed: int = 0,
        require_compatible: bool = True,
        compatibility_metrics: str = "map@100,top1",
        max_new_new_regression: float = 0.0,
        min_new_evolved: float = 0.0,
        backfill_order: str = "worst-first",
        shard_concurrency: int = 4,
        max_map_length: int = 256,
        lease_ttl_s: int = 21_600,
    ):
        # One owner per pipeline run, as the DAG's is one per DAG run: its pointer moves renew
        # the lease and the exit handler releases it whether the run succeeds or fails.
        owner = dsl.PIPELINE_JOB_ID_PLACEHOLDER
        released = step(release_lease(gallery=gallery, owner=owner), "release_lease")
        with dsl.ExitHandler(exit_task=released, name="leased"):
            lease = step(take_lease(gallery=gallery, owner=owner, ttl_s=lease_ttl_s), "take_lease")
            train = configure(
                train_new_model(
                    old_model=old_model,
                    method=method,
                    weighting=weighting,
                    widths=widths,
                    gallery=gallery,
                    dataset=dataset,
                    mode=mode,
                    seed=seed,
                ),
                "train_new_model",
                options.train_cpu,
                options.train_memory,
            ).after(lease)
            if options.gpu:
                train.set_accelerator_type(GPU_RESOURCE).set_accelerator_limit(1)
            key_task = extract_run_key(train_result=train.output).set_display_name("run_key")
            key = key_task.set_container_image(options.image).output

            evaluated = step(evaluate(run_key=key, model_name=model_name), "evaluate")
            registered = step(register(run_key=key, model_name=model_name), "register").after(evaluated)
            gated = step(
                gate(
                    run_key=key,
                    model_name=model_name,
                    require_compatible=require_compatible,
                    compatibility_metrics=compatibility_metrics,
                    max_new_new_regression=max_new_new_regression,
                    min_new_evolved=min_new_evolved,
                ),
                "gate",
            ).after(registered)
            plan = step(
                plan_shards(
                    run_key=key, gallery=gallery, shard_concurrency=shard_concurrency, max_map_length=max_map_length
                ),
                "plan_shards",
            ).after(gated)

            with dsl.ParallelFor(items=plan.output, parallelism=options.parallelism) as lane:
                evolved = step(evolve_shard(run_key=key, gallery=gallery, shards=lane.shards), "evolve_shard")
            sealed = step(seal_evolved(run_key=key, gallery=gallery), "seal_evolved").after(evolved)
            with dsl.ParallelFor(items=plan.output, parallelism=options.parallelism) as lane:
                indexed = step(
                    build_index_shard(
                        run_key=key, gallery=gallery, index=index, index_kind=index_kind, shards=lane.shards
                    ),
                    "build_index_shard",
                ).after(sealed)
            committed = step(
                commit_evolved(run_key=key, gallery=gallery, index=index, index_kind=index_kind, lease_owner=owner),
                "commit_evolved",
            ).after(indexed)
            backfill_plan = step(
                plan_backfill(
                    run_key=key,
                    model_name=model_name,
                    gallery=gallery,
                    backfill_order=backfill_order,
                    seed=seed,
                    shard_concurrency=shard_concurrency,
                    max_map_length=max_map_length,
                ),
                "plan_backfill",
            ).after(committed)
            with dsl.ParallelFor(items=backfill_plan.output, parallelism=options.parallelism) as lane:
                backfilled = step(backfill_shard(run_key=key, gallery=gallery, shards=lane.shards), "backfill_shard")
            final_index = step(
                build_final_index(run_key=key, gallery=gallery, index=index, index_kind=index_kind), "build_final_index"
            ).after(backfilled)
            swapped = step(
                swap_backfilled(run_key=key, gallery=gallery, index=index, index_kind=index_kind, lease_owner=owner),
                "swap_backfilled",
            ).after(final_index)
            step(
                promote(run_key=key, model_name=model_name, gallery=gallery, index=index, index_kind=index_kind),
                "promote",
            ).after(swapped)

    return model_upgrade


def compile_pipeline(package_path: Path, options: CompileOptions | None = None) -> Path:
    """Write the pipeline spec YAML that a Kubeflow Pipelines server accepts."""
    package_path = Path(package_path)
    package_path.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(build_pipeline(options or CompileOptions()), package_path=str(package_path))
    return package_path


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not ENV_NAME.match(name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _read_env_file(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(isinstance(v, str | int | float | bool) for v in data.values()):
        raise ValueError(f"{path}: expected a JSON object of NAME: value")
    bad = [name for name in data if not ENV_NAME.match(name)]
    if bad:
        raise ValueError(f"{path}: not environment variable names: {', '.join(bad)}")
    return {name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in data.items()}


def parse_args(argv: Sequence[str] | None = None) -> tuple[Path, CompileOptions]:
    """The output path and compile options from the command line."""
    parser = argparse.ArgumentParser(
        prog="python kubeflow/pipeline.py", description="Compile the model_upgrade pipeline to a KFP v2 YAML."
    )
    defaults = CompileOptions()
    parser.add_argument("output", type=Path, help="where to write the pipeline YAML")
    parser.add_argument("--image", default=defaults.image, help=f"task image (default: {defaults.image})")
    parser.add_argument("--gpu", action="store_true", help=f"give train_new_model one {GPU_RESOURCE}")
    parser.add_argument("--cpu", default=defaults.cpu, help="CPU request of each step")
    parser.add_argument("--memory", default=defaults.memory, help="memory request of each step")
    parser.add_argument("--train-cpu", default=defaults.train_cpu, help="CPU request of train_new_model")
    parser.add_argument("--train-memory", default=defaults.train_memory, help="memory request of train_new_model")
    parser.add_argument(
        "--parallelism", type=int, default=defaults.parallelism, help="most lanes running at once, cluster-wide cap"
    )
    parser.add_argument("--retries", type=int, default=defaults.retries, help="retries of a failed step (not gate)")
    parser.add_argument("--env", type=_env_pair, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--env-file", type=Path, help="JSON object of environment variables for every step")
    args = parser.parse_args(argv)
    if args.parallelism < 1:
        parser.error("--parallelism must be >= 1")
    if args.retries < 0:
        parser.error("--retries must be >= 0")
    env = {}
    if args.env_file:
        try:
            env.update(_read_env_file(args.env_file))
        except (OSError, ValueError) as error:
            parser.error(str(error))
    env.update(dict(args.env))
    options = CompileOptions(
        image=args.image,
        gpu=args.gpu,
        cpu=args.cpu,
        memory=args.memory,
        train_cpu=args.train_cpu,
        train_memory=args.train_memory,
        parallelism=args.parallelism,
        retries=args.retries,
        env=env,
    )
    return args.output, options


def main(argv: Sequence[str] | None = None) -> int:
    """Compile from the command line, so CI and operators need no Python of their own."""
    output, options = parse_args(argv)
    compile_pipeline(output, options)
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
