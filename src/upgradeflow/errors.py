"""What a command's failure means, and the exit status that says so.

``UserInputError`` is "the user asked for something wrong", ``ConflictError`` "another
writer moved a pointer first"; the command line and the pipeline steps turn each into
one line and its own exit status. Anything else that escapes is a bug and keeps its
traceback.
"""

from collections.abc import Iterable

# Exit statuses of the command line and the pipeline steps, distinct so that a scheduler
# can tell "fix the input" from "lost a race, re-plan" from "the new model is not good
# enough": the same numbers wherever a command ends.
EXIT_USER_ERROR = 2
EXIT_CONFLICT = 3
EXIT_GATE_FAILED = 4


class UserInputError(ValueError):
    """Bad input from the user: a missing file, a wrong schema, an unknown name."""


def check_choice(what: str, value: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``; otherwise the one-line error that lists them,
    so every option with a fixed set of values is refused in the same words."""
    choices = tuple(choices)
    if value not in choices:
        raise UserInputError(f"unknown {what} '{value}' (choose from: {', '.join(choices)})")
    return value


def one_line(error: BaseException) -> str:
    """The first non-empty line of ``error``'s message (its type when it has none): what a
    one-line report keeps of a library's multi-line message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


class ConflictError(RuntimeError):
    """A compare-and-swap lost: another writer changed a pointer first.

    Not a bug and not bad input; the command line reports it in one line with its own
    exit status so a scheduler can tell "lost a race, re-plan" from "fix the input".
    """
