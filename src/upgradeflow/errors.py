"""The one exception type that means "the user asked for something wrong".

The command line turns it into a one-line message and a non-zero exit; anything else
that escapes is a bug and keeps its traceback.
"""


class UserInputError(ValueError):
    """Bad input from the user: a missing file, a wrong schema, an unknown name."""


class ConflictError(RuntimeError):
    """A compare-and-swap lost: another writer changed a pointer first.

    Not a bug and not bad input; the command line reports it in one line with its own
    exit status so a scheduler can tell "lost a race, re-plan" from "fix the input".
    """
