"""Sign-in protection: a per-address rate limit (Flask-Limiter, the framework's limiter)
and a per-account lockout with back-off.

The lockout counts the framework's ab_user.fail_login_count: from the
LOGIN_LOCKOUT_THRESHOLD-th failure in a row the account is locked for
LOGIN_LOCKOUT_SECONDS, doubled at each further failure up to LOGIN_LOCKOUT_MAX_SECONDS.
A sign-in attempt while locked is refused without looking at the password (so guessing
cannot go on) and does not extend the lock. The lock ends by time, or by an Admin
(Users > Unlock); a successful sign-in resets the count.
"""
import datetime as dt
import math

from flask import current_app, request

from app.models.tasks import utcnow
from app.security.accounts import account_state


def lock_seconds_left(user):
    """Seconds until the user may try again; 0 when not locked."""
    state = account_state(user.id)
    if state is None or state.locked_until is None:
        return 0
    left = (state.locked_until - utcnow()).total_seconds()
    return max(0, math.ceil(left))


def lockout_message(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return (f"This account is locked after too many failed sign-ins. Try again in {wait}, "
            "or ask an administrator to unlock it.")


def note_failure(user, failures):
    """After a failed sign-in, the `failures`-th in a row."""
    config = current_app.config
    threshold = config["LOGIN_LOCKOUT_THRESHOLD"]
    if threshold <= 0 or failures < threshold:
        return
    seconds = min(config["LOGIN_LOCKOUT_SECONDS"] * 2 ** (failures - threshold),
                  config["LOGIN_LOCKOUT_MAX_SECONDS"])
    account_state(user.id, create=True).locked_until = utcnow() + dt.timedelta(seconds=seconds)


def note_success(user):
    state = account_state(user.id)
    if state is not None:
        state.locked_until = None


def unlock(user):
    """An Admin's unlock: the lock and the failure count are gone."""
    user.fail_login_count = 0
    note_success(user)


def limit_sign_ins(limiter, blueprints):
    """The per-address limit on the sign-in endpoints (POST .../login only: the same
    blueprints also log out and refresh tokens). The limit is read from the config on
    each request (LOGIN_RATE_LIMIT, e.g. "10 per minute")."""
    for blueprint in blueprints:
        limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
                      exempt_when=lambda: not (request.endpoint or "").endswith(".login"),
                      error_message=RATE_LIMITED)(blueprint)


RATE_LIMITED = "Too many sign-in attempts from your address. Wait a minute and try again."
