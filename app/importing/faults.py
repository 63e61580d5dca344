"""The file-level fault every reader raises: the file as a whole cannot be imported.

Kept apart from the readers so format detection, the readers and the sandboxed reader
share it without importing each other."""

PASSWORD_MESSAGE = "The workbook is password-protected: remove the password and upload it again."


class FileRejected(Exception):
    """The file as a whole cannot be imported; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self):
        return self.message
