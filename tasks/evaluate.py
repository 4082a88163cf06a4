"""Step 2: the cross-model matrix of the trained challenger against the current champion."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tasks import _step
from tasks._context import load_data, open_store, use_registry
from upgradeflow.cli.args import add_data_dir, add_threads
from upgradeflow.scratch import scratch
from upgradeflow.upgrade.registration import promoted_version
from upgradeflow.upgrade.run_context import UpgradeRun


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_model_name(parser)
    add_data_dir(parser)
    add_threads(parser)
    return parser


def work(args: argparse.Namespace) -> dict:
    from upgradeflow.evaluation.comparison import comparison_markdown, plot_comparison
    from upgradeflow.evaluation.plot import plot_tradeoff
    from upgradeflow.models.adapter import load_adapter
    from upgradeflow.models.checkpoint import load_model
    from upgradeflow.registry.model_package import FORWARD_ADAPTER_FILE, MODEL_FILE
    from upgradeflow.registry.versions import CHAMPION, load_package, resolve
    from upgradeflow.runtime import configure_torch
    from upgradeflow.store.object_store import join
    from upgradeflow.upgrade.evaluation import evaluate_upgrade
    from upgradeflow.upgrade.run_files import evaluation_prefix, read_json, upload
    from upgradeflow.upgrade.spec import UpgradeSpec

    store = open_store(args)
    use_registry(args)
    promoted = promoted_version(args.model_name, args.run_key)
    if promoted is not None:
        return {"run_key": args.run_key, "champion_model": promoted.uri, "skipped": True}
    run = UpgradeRun(store, args.run_key)
    record = run.record
    spec = UpgradeSpec(**record["spec"])
    champion = resolve(f"models:/{args.model_name}@{CHAMPION}")
    prefix = evaluation_prefix(args.run_key, champion.version)
    existing = read_json(store, join(prefix, "evaluation.json"))
    if existing is not None:
        return {**_summary(existing, prefix), "skipped": True}
    configure_torch(args.threads)
    directory = run.files
    old = resolve(record["old_model"])
    old_model = load_package(old).model
    champion_model = None if champion == old else load_package(champion).model
    data_args = argparse.Namespace(dataset=spec.dataset, data_dir=args.data_dir, no_progress=args.no_progress)
    evaluation = evaluate_upgrade(
        load_data(data_args),
        spec,
        old_model,
        load_model(directory / MODEL_FILE),
        load_adapter(directory / FORWARD_ADAPTER_FILE),
        champion_model,
    )
    evaluation["champion_model"] = champion.uri
    evaluation["old_model"] = old.uri
    evaluation["run_key"] = args.run_key
    with scratch() as tmp:
        out = Path(tmp)
        (out / "comparison.md").write_text(comparison_markdown(evaluation, champion.uri, f"run {args.run_key}"))
        plot_comparison(evaluation, out / "comparison.png")
        plot_tradeoff(evaluation, out / "tradeoff.png")
        (out / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n")
        # evaluation.json last: its presence means the others are there.
        upload(store, prefix, [out / "comparison.md", out / "comparison.png", out / "tradeoff.png"])
        upload(store, prefix, [out / "evaluation.json"])
    return {**_summary(evaluation, prefix), "skipped": False}


def _summary(evaluation: dict, prefix: str) -> dict:
    matrix = evaluation["challenger"]["matrix"]
    return {
        "run_key": evaluation["run_key"],
        "champion_model": evaluation["champion_model"],
        "evaluation": prefix,
        "map@100": {pair: round(m["map@100"], 2) for pair, m in matrix.items()},
        "champion_map@100": round(evaluation["champion"]["map@100"], 2),
        "compatible": evaluation["challenger"]["compatible"],
    }


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
