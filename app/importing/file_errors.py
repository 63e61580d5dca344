"""The one exception for a file that cannot be imported as a whole (ARCHITECTURE:
"Exceptions are for the file"); readers.py re-exports it for its callers."""


class FileRejected(Exception):
    """The file as a whole cannot be imported; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self):
        return self.message
