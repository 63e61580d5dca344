"""Secrets at rest (OAuth tokens, service sessions): Fernet with a key derived from
SECRET_KEY, so a database dump alone does not hand out access to the service."""
import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet():
    return _fernet_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _fernet_for(secret_key):
    # A fixed, purpose-bound derivation: the same SECRET_KEY gives the same key everywhere.
    key = hashlib.pbkdf2_hmac("sha256", secret_key.encode(), b"muara-service-tokens", 100_000)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str | None) -> str | None:
    return None if value is None else _fernet().encrypt(value.encode()).decode()


def decrypt(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise ValueError("a stored secret cannot be read with this SECRET_KEY") from None
