"""The one exception type for a request that cannot be carried out as asked.

Its message is written for the user: the CLI prints it on stderr, views flash it,
the API returns it as {"message": ...}.
"""


class MuaraError(Exception):
    pass


class NotFound(MuaraError):
    pass
