"""The one exception type that means "the user asked for something wrong".

The command line turns it into a one-line message and a non-zero exit; anything else
that escapes is a bug and keeps its traceback.
"""


class UserInputError(ValueError):
    """Bad input from the user: a missing file, a wrong schema, an unknown name."""
