"""API-key authentication (SYN-4). The framework's @protect is for portal users; a
pushing system presents `Authorization: Bearer <key>` and acts for the key's
integration only."""
import functools

from flask import g, request

from app.services.apikeys import key_of


def error(status, message, errors=None, headers=None):
    """The API's error body (SPEC section 9)."""
    return {"message": message, "errors": errors or {}}, status, headers or {}


def api_key_required(fn):
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="muara"'}
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "An API key is needed: send Authorization: Bearer <key>.",
                         headers=challenge)
        key = key_of(token.strip())
        if key is None:
            return error(401, "Unknown or revoked API key.", headers=challenge)
        if not key.integration.active:
            return error(403, f"Integration {key.integration.name} is inactive: an "
                              "administrator must activate it before it takes data.")
        g.api_key = key
        g.integration = key.integration
        return fn(self, *args, **kwargs)
    return wrapper
