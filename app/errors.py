"""The one exception type for a request that cannot be carried out as asked.

Its message is written for the user: the CLI prints it on stderr, views flash it,
the API returns it as {"message": ...}.
"""


class MuaraError(Exception):
    pass


class NotFound(MuaraError):
    pass


class TaskSuperseded(Exception):
    """The background task this run was doing has been handed to another run (it looked
    lost): this run must stop without touching what the other one owns."""
