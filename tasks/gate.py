"""Step 4: the promotion gate. A failed rule stops the run (exit status 4) before
anything is committed; the reason goes to the log and onto the MLflow version and run."""

from __future__ import annotations

import argparse
import sys

from tasks import _step
from tasks._context import open_store, use_registry
from upgradeflow.upgrade.registration import promoted_version
from upgradeflow.upgrade.run_files import evaluation_prefix


def build_parser() -> argparse.ArgumentParser:
    parser = _step.step_parser(__spec__.name, __doc__)
    _step.add_run_key(parser)
    _step.add_model_name(parser)
    parser.add_argument("--require-compatible", choices=("true", "false"), default="true")
    parser.add_argument(
        "--compatibility-metrics", default="map@100,top1", help="new/old must beat old/old on each (comma-separated)"
    )
    parser.add_argument("--max-new-new-regression", type=float, default=0.0, help="mAP@100 points")
    parser.add_argument("--min-new-evolved", type=float, default=0.0, help="mAP@100")
    return parser


def work(args: argparse.Namespace) -> dict:
    import mlflow

    from upgradeflow.errors import UserInputError
    from upgradeflow.registry.versions import CHAMPION, find_version, resolve, run_id_of, tag_version
    from upgradeflow.store.object_store import join
    from upgradeflow.upgrade.gate import GateFailed, GateThresholds, gate_failures
    from upgradeflow.upgrade.run_files import read_json

    thresholds = GateThresholds(
        require_compatible=args.require_compatible == "true",
        compatibility_metrics=tuple(m.strip() for m in args.compatibility_metrics.split(",") if m.strip()),
        max_new_new_regression=args.max_new_new_regression,
        min_new_evolved=args.min_new_evolved,
    )
    store = open_store(args)
    use_registry(args)
    promoted = promoted_version(args.model_name, args.run_key)
    if promoted is not None:
        return {"model": promoted.uri, "gate": "already champion", "skipped": True}
    champion = resolve(f"models:/{args.model_name}@{CHAMPION}")
    evaluation = read_json(store, join(evaluation_prefix(args.run_key, champion.version), "evaluation.json"))
    challenger = find_version(args.model_name, args.run_key)
    if evaluation is None or challenger is None:
        raise UserInputError(f"run {args.run_key}: evaluate and register it before the gate")
    failures = gate_failures(evaluation, thresholds)
    verdict = {
        "upgradeflow.gate": "failed" if failures else "passed",
        "upgradeflow.gate_reason": "; ".join(failures) or "all rules passed",
        "upgradeflow.gate_thresholds": str(thresholds.to_dict()),
        "upgradeflow.gate_champion": champion.uri,
    }
    tag_version(challenger, verdict)
    client = mlflow.MlflowClient()
    run_id = run_id_of(challenger)
    for key, value in verdict.items():
        client.set_tag(run_id, key, value)
    if failures:
        raise GateFailed(f"{challenger.uri} against {champion.uri}: " + "; ".join(failures))
    return {"model": challenger.uri, "champion": champion.uri, "gate": "passed"}


def main(argv: list[str] | None = None) -> int:
    return _step.main(build_parser(), work, argv)


if __name__ == "__main__":
    sys.exit(main())
