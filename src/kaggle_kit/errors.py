"""The one exception type for a user's mistake: the CLI prints its message as one line and exits 2."""


class UserError(Exception):
    """Bad input, config or state that the user can fix; the message says what is wrong and how to fix it."""
