"""A job that proves the queue works end to end (`muara queue-check`)."""
import os
import socket

from app.queue import job


@job
def echo(value):
    """Returns the value with where it ran (and at which CPU priority), so a check sees
    which worker took it."""
    return {"echo": value, "host": socket.gethostname(), "pid": os.getpid(),
            "nice": os.nice(0)}
