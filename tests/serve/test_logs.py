"""Structured logs: one JSON object per line, whatever the message or exception, so a
line-based collector never splits an entry."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from upgradeflow.serve.logs import LOGGERS, JsonLines, configure_logging, describe_error


def formatted(message: str, **extra) -> dict:
    record = logging.LogRecord("upgradeflow.serve", logging.WARNING, __file__, 1, message, None, None)
    for name, value in extra.items():
        setattr(record, name, value)
    line = JsonLines().format(record)
    assert "\n" not in line
    return json.loads(line)


def test_an_entry_is_one_line_with_its_fields():
    entry = formatted("load_failed\nsecond line", fields={"index_version": "v2.flat", "path": None})
    assert entry["event"] == "load_failed" and entry["level"] == "warning" and entry["logger"] == "upgradeflow.serve"
    assert entry["index_version"] == "v2.flat" and entry["path"] is None
    assert entry["ts"].endswith("+00:00")


def test_an_exception_is_kept_to_its_type_and_first_line():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        entry = formatted("failed", exc_info=sys.exc_info())
    assert entry["error"] == "ValueError: first line" == describe_error(ValueError("first line\nsecond line"))


@pytest.fixture
def restore_loggers():
    """Logging is process-wide: put every touched logger back as it was."""
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate) for name in LOGGERS}
    level = logging.getLogger("upgradeflow.serve").level
    yield
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate
    logging.getLogger("upgradeflow.serve").setLevel(level)
    logging.captureWarnings(False)


def test_every_logger_of_the_process_writes_json_lines(restore_loggers):
    configure_logging("warning")
    handlers = [logging.getLogger(name).handlers for name in LOGGERS]
    assert all(len(h) == 1 and isinstance(h[0].formatter, JsonLines) for h in handlers)
    assert len({id(h[0]) for h in handlers}) == 1  # one stream for the service, the server and warnings
    assert not any(logging.getLogger(name).propagate for name in LOGGERS)
    assert logging.getLogger("upgradeflow.serve").level == logging.WARNING
