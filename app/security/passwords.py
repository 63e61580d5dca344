"""The password policy, one rule set for every way a password is set: the framework's
user and reset forms, `muara user add`, the demo logins.

A password has at least PASSWORD_MIN_LENGTH characters (12 by default), is not the user
name (nor contains it), and is not a common password: the list shipped in
data/common-passwords.txt.gz (about 20,000 passwords from leaked-password lists, the list
Django ships, BSD licence), compared without case and also with the digits and symbols a
person adds at the end stripped ("Password1234!" is "password").
"""
import functools
import gzip
import re
from pathlib import Path

from flask import current_app

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
DEFAULT_MIN_LENGTH = 12
# The usual way to dress up a common word: digits and symbols after it.
TRAILING_DRESSING = re.compile(r"[\d\W_]+$")


@functools.lru_cache(maxsize=1)
def common_passwords():
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def password_problem(password, username=None, min_length=None):
    """Why `password` is refused, in a sentence for the user; None when it is fine."""
    if min_length is None:
        min_length = current_app.config.get("PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH)
    password = password or ""
    if len(password) < min_length:
        return f"The password must have at least {min_length} characters."
    lowered = password.lower()
    name = (username or "").strip().lower()
    if name and (lowered == name or (len(name) >= 4 and name in lowered)):
        return "The password must not be (or contain) the user name."
    undressed = TRAILING_DRESSING.sub("", lowered)
    if lowered in common_passwords() or undressed in common_passwords():
        return ("This password is on a list of commonly used passwords; "
                "choose one that is harder to guess.")
    return None


class PasswordPolicy:
    """WTForms validator. `username_of(form)` gives the user name the password belongs
    to (the form's own field on the add form, the signed-in user on the own-password
    form, the user being reset on the reset form)."""

    def __init__(self, username_of=None):
        self.username_of = username_of or (lambda form: None)

    def __call__(self, form, field):
        # Imported here: the commands that check a password without a form start
        # without WTForms (issue 15, start-up).
        from wtforms.validators import ValidationError
        problem = password_problem(field.data, self.username_of(form))
        if problem:
            raise ValidationError(problem)
