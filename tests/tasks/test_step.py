"""How every step reports: one JSON line (also in the pod's result file) on success, and
on failure one line with an exit status a scheduler can act on."""

from __future__ import annotations

import json

import pytest

from tasks._step import main, step_parser
from upgradeflow.errors import EXIT_CONFLICT, EXIT_GATE_FAILED, EXIT_USER_ERROR, ConflictError, UserInputError
from upgradeflow.upgrade.gate import GateFailed


def raising(error: Exception):
    def work(args):
        raise error

    return work


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (UserInputError("--shards: not a lane"), EXIT_USER_ERROR, "error"),
        (ConflictError("gallery g: CURRENT moved"), EXIT_CONFLICT, "conflict"),
        (GateFailed("min_new_evolved: 10 < 50"), EXIT_GATE_FAILED, "gate failed"),
    ],
)
def test_each_failure_kind_has_its_own_exit_status_and_one_line(error, status, kind, capsys):
    parser = step_parser("tasks.example", "an example step")
    assert main(parser, raising(error), []) == status
    captured = capsys.readouterr()
    assert captured.err == f"python -m tasks.example: {kind}: {error}\n"
    assert captured.out == ""


def test_unexpected_errors_are_not_dressed_up_as_user_mistakes():
    parser = step_parser("tasks.example", "an example step")
    with pytest.raises(ZeroDivisionError):
        main(parser, raising(ZeroDivisionError("a bug")), [])


def test_result_is_one_json_line_and_lands_in_the_pods_result_file(tmp_path, monkeypatch, capsys):
    result_file = tmp_path / "airflow" / "xcom" / "return.json"
    monkeypatch.setenv("UPGRADEFLOW_RESULT_FILE", str(result_file))
    parser = step_parser("tasks.example", "an example step")
    parser.add_argument("--gallery")
    assert main(parser, lambda args: {"gallery": args.gallery, "shards": [0, 1]}, ["--gallery", "g"]) == 0
    line = capsys.readouterr().out
    assert json.loads(line) == {"gallery": "g", "shards": [0, 1]} and line.count("\n") == 1
    assert result_file.read_text() == line
