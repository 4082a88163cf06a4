"""The ``model_upgrade`` pipeline for Kubeflow Pipelines v2: the same containerised steps
as the Airflow DAG (``dags/model_upgrade.py``), run as ``python -m tasks.<step> ARGS`` in
the task image, with the same run parameters and defaults: both are built from the
pipeline table (``upgradeflow.upgrade.pipeline``), one container component per step.

Only kfp, the standard library and that table (read from ``src/``, not installed) are
imported here: kfp pins a Kubernetes client and protobuf that the Airflow environment
cannot share, so this compiles in its own virtual environment (see ``kubeflow/README.md``)::

    .venv-kfp/bin/python kubeflow/pipeline.py model_upgrade.yaml [--gpu] [--image IMAGE]

Each step writes its JSON result to ``$UPGRADEFLOW_RESULT_FILE`` (``tasks/_step.py``);
here that variable names the step's kfp output parameter file, so results flow between
steps as kfp outputs without any change to the step code. The KFP launcher substitutes
placeholders only in a container's command and arguments, not in its environment, so the
variable is set through ``env`` on the command line rather than on the container spec.
"""

import argparse
import inspect
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kfp import compiler, dsl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # the pipeline table, stdlib only
from upgradeflow.upgrade.pipeline import (
    LEASE_OWNER,
    PARAMETERS,
    RELEASE_LEASE,
    RUN_KEY,
    SHARDS,
    STEPS,
    TAKE_LEASE,
    Step,
)

DEFAULT_IMAGE = "upgradeflow:0.1.0"
PIPELINE_NAME = "model-upgrade"
RESULT_ENV = "UPGRADEFLOW_RESULT_FILE"
GPU_RESOURCE = "nvidia.com/gpu"
# shard_concurrency's maximum: the lanes plan_shards returns already respect the run's
# own shard_concurrency, so the loop's limit only guards the cluster.
DEFAULT_PARALLELISM = 64
# Steps whose failure a retry cannot change (the gate's verdict is deterministic) are not retried.
RETRIED = frozenset(step.task for step in (TAKE_LEASE, *STEPS, RELEASE_LEASE) if step.retried)
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


# kfp types each component input from its annotation; the table types its parameters
# as JSON Schema does. Supplied inputs (run key, lease owner, a lane's shards) are strings.
KFP_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool}
PARAMETER_TYPES = {p.name: KFP_TYPES[p.type] for p in PARAMETERS}


def container_component(step: Step):
    """The kfp container component running ``step``: one input per name its arguments
    refer to, and its JSON result as the output parameter ``result`` (``lanes`` for a
    planning step, which a ``ParallelFor`` loops over)."""
    inputs = list(dict.fromkeys(step.references()))
    output = "lanes" if any(other.lanes == step.task for other in STEPS) else "result"
    output_type = dsl.OutputPath(list) if output == "lanes" else dsl.OutputPath(str)

    def component(*values) -> dsl.ContainerSpec:
        bound = dict(zip([*inputs, output], values, strict=True))
        return dsl.ContainerSpec(
            image=DEFAULT_IMAGE, command=_command(step.module, bound[output]), args=step.render(bound.get)
        )

    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    component.__signature__ = inspect.Signature(
        [inspect.Parameter(name, parameter, annotation=PARAMETER_TYPES.get(name, str)) for name in inputs]
        + [inspect.Parameter(output, parameter, annotation=output_type)],
        return_annotation=dsl.ContainerSpec,
    )
    component.__name__ = step.task
    component.__doc__ = step.summary
    return dsl.container_component(component)


COMPONENTS = {step.task: container_component(step) for step in (TAKE_LEASE, *STEPS, RELEASE_LEASE)}


@dsl.container_component
def extract_run_key(train_result: str, key: dsl.OutputPath(str)) -> dsl.ContainerSpec:
    """The run key from train_new_model's JSON: what every later step works on."""
    return dsl.ContainerSpec(image=DEFAULT_IMAGE, command=["python", "-c", _RUN_KEY_SCRIPT, train_result, key])


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
        if options.retries and step in RETRIED:
            task.set_retry(num_retries=options.retries, backoff_duration=options.retry_backoff)
        for name, value in options.env.items():
            task.set_env_variable(name, value)
        return task

    def step(task: dsl.PipelineTask, name: str) -> dsl.PipelineTask:
        return configure(task, name, options.cpu, options.memory)

    def run(component_step: Step, values: dict) -> dsl.PipelineTask:
        arguments = {name: values[name] for name in dict.fromkeys(component_step.references())}
        task = COMPONENTS[component_step.task](**arguments)
        if component_step.trains:
            configure(task, component_step.task, options.train_cpu, options.train_memory)
            if options.gpu:
                task.set_accelerator_type(GPU_RESOURCE).set_accelerator_limit(1)
            return task
        return step(task, component_step.task)

    def model_upgrade(*arguments):
        # One owner per pipeline run, as the DAG's is one per DAG run: its pointer moves renew
        # the lease and the exit handler releases it whether the run succeeds or fails.
        values = {p.name: value for p, value in zip(PARAMETERS, arguments, strict=True)}
        values[LEASE_OWNER] = dsl.PIPELINE_JOB_ID_PLACEHOLDER
        released = run(RELEASE_LEASE, values)
        with dsl.ExitHandler(exit_task=released, name="leased"):
            previous = run(TAKE_LEASE, values)
            outputs: dict[str, dsl.PipelineTask] = {}
            for spec in STEPS:
                if spec.lanes:
                    with dsl.ParallelFor(items=outputs[spec.lanes].output, parallelism=options.parallelism) as lane:
                        task = run(spec, {**values, SHARDS: lane.shards}).after(previous)
                else:
                    task = run(spec, values).after(previous)
                outputs[spec.task] = task
                previous = task
                if spec.task == "train_new_model":
                    key_task = extract_run_key(train_result=task.output).set_display_name("run_key")
                    values[RUN_KEY] = key_task.set_container_image(options.image).output
                    previous = key_task

    model_upgrade.__signature__ = inspect.Signature(
        [
            inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=p.default, annotation=kind)
            for p, kind in ((p, PARAMETER_TYPES[p.name]) for p in PARAMETERS)
        ]
    )
    model_upgrade = dsl.pipeline(
        name=PIPELINE_NAME,
        description="Train a compatible new embedding model, gate it, evolve the gallery into its space, "
        "index it, make it live, backfill it with the new model, swap the backfill in and promote the model.",
    )(model_upgrade)
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
