"""Sessions that end (issue 18).

A session is stamped at sign-in with the user's session version (AccountState), the time
of sign-in and the time last seen. It is refused, and the visitor signed out, when:
- the user's session version moved on: logout (POST) and a password change bump it, so a
  copied cookie dies with the session it was copied from (and with every other session
  of that user: logout signs out everywhere);
- it is older than SESSION_LIFETIME_MINUTES since sign-in, or
- it was not used for SESSION_IDLE_MINUTES.
API tokens (JWT) carry the version as the claim "sv" and die the same way.
"""
import time

from flask import current_app, session

from app.extensions import db
from app.security.accounts import account_state, session_version

VERSION, SIGNED_IN_AT, SEEN_AT = "_muara_sv", "_muara_signed_in", "_muara_seen"


def stamp_session(user):
    now = int(time.time())
    session[VERSION] = session_version(user.id)
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    # The cookie's own expiry follows PERMANENT_SESSION_LIFETIME (set to the lifetime).
    session.permanent = True


def session_is_current(user):
    """Whether the visitor's session still stands for `user`; refreshes its last-seen
    time (once a minute, to keep the cookie from changing on every request)."""
    config = current_app.config
    now = int(time.time())
    signed_in_at = session.get(SIGNED_IN_AT, 0)
    seen_at = session.get(SEEN_AT, 0)
    if session.get(VERSION) != session_version(user.id):
        return False
    if now - signed_in_at > config["SESSION_LIFETIME_MINUTES"] * 60:
        return False
    if now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return False
    if now - seen_at >= 60:
        session[SEEN_AT] = now
    return True


def forget_session():
    for key in (VERSION, SIGNED_IN_AT, SEEN_AT, "_user_id", "_fresh", "_id"):
        session.pop(key, None)


def end_all_sessions(user_id):
    """Every session and token of the user is refused from now on (the caller commits)."""
    state = account_state(user_id, create=True)
    state.session_version = (state.session_version or 1) + 1
    db.session.flush()


def token_claims(identity):
    """Claims added to the framework's JWTs: the user's session version."""
    try:
        return {"sv": session_version(int(identity))}
    except (TypeError, ValueError):
        return {}


def token_is_current(user, jwt_data):
    return jwt_data.get("sv") == session_version(user.id)
