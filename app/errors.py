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


class PreconditionFailed(MuaraError):
    """Something must exist before this can be done (a connection, an integration, a
    template, a setting). Its `precondition` (app.services.preconditions.Precondition)
    says who can fix it and on which screen; the message says it in words."""

    def __init__(self, precondition):
        super().__init__(str(precondition))
        self.precondition = precondition
