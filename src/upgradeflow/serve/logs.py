"""Structured logs: one JSON object per line, for a log pipeline to parse.

Everything the service process logs goes through here, the HTTP server's own messages
and Python warnings included, and an exception is kept to its type and first line: a
multi-line traceback would be split into unrelated lines by any line-based collector.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from upgradeflow.errors import one_line

# The service's own logger, the HTTP server's (uvicorn.error, uvicorn.access) and warnings.
LOGGERS = ("upgradeflow.serve", "uvicorn", "py.warnings")


def describe_error(error: BaseException) -> str:
    """``Type: first line``: enough to recognise a failure in one log line."""
    return f"{type(error).__name__}: {one_line(error)}"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().strip().splitlines()
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": lines[0] if lines else "",
            **getattr(record, "fields", {}),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = describe_error(record.exc_info[1])
        return json.dumps(entry, default=str)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
    logging.getLogger("upgradeflow.serve").setLevel(level.upper())
    logging.captureWarnings(True)
