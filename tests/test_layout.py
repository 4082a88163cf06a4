"""tests/ mirrors the source: every module has its test file, or a line in
tests/README.md that says why not. A module added without either fails here, so
untested code is a decision someone wrote down, not an oversight."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SOURCE = TESTS.parent / "src" / "upgradeflow"
README = TESTS / "README.md"
ENTRY = re.compile(r"^- `(?P<module>[^`]+\.py)`: (?P<reason>\S.*)$")


def modules() -> list[str]:
    """Every module under src/upgradeflow but the package ``__init__`` files, as a path
    relative to it."""
    found = (p.relative_to(SOURCE) for p in SOURCE.rglob("*.py") if p.name != "__init__.py")
    return sorted(p.as_posix() for p in found)


def expected_test_file(module: str) -> Path:
    path = Path(module)
    return TESTS / path.parent / f"test_{path.name}"


def listed() -> dict[str, str]:
    """The README's ``- `module.py`: reason`` lines, by module."""
    entries = (ENTRY.match(line.strip()) for line in README.read_text().splitlines())
    return {entry["module"]: entry["reason"] for entry in entries if entry}


def test_every_module_has_a_test_file_or_a_reason():
    reasons = listed()
    missing = [m for m in modules() if not expected_test_file(m).is_file() and m not in reasons]
    assert missing == [], (
        f"no tests/<package>/test_<module>.py for {missing}: add one, or list the module in {README} with the reason"
    )


def test_every_listed_module_exists_and_still_lacks_a_test_file():
    """A line for a module that is gone, or that has its test file now, is stale."""
    reasons = listed()
    assert reasons, f"no entries parsed from {README}"
    stale = [m for m in reasons if not (SOURCE / m).is_file() or expected_test_file(m).is_file()]
    assert stale == [], f"remove these lines from {README}: {stale}"
