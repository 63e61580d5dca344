"""Sign-ins and failed sign-ins in the audit trail, on the login form and the API login.

One response hook rather than a security-manager subclass: it sees every answer to a
credentials post, including refusals made before the framework checks the password
(rate limits, lockouts), and records the name tried, never the password.
"""
from flask import g, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.security.audit import record

# The endpoints that take a username and a password: the portal's subclasses of the
# framework's login form and security API (app/security/views.py).
FORM_LOGIN = "PortalAuthDBView.login"
API_LOGIN = "PortalSecurityApi.login"


def install(app):
    app.before_request(_note_who_posts)
    app.after_request(_after_login_post)


def _is_login_post():
    return request.method == "POST" and request.endpoint in (FORM_LOGIN, API_LOGIN)


def _note_who_posts():
    # The framework's g.user follows flask_login's current user, which the login
    # itself changes: note now whether someone was signed in before it.
    if _is_login_post():
        g.audit_signed_in_before = current_user.is_authenticated


def _after_login_post(response):
    if not _is_login_post() or g.get("audit_signed_in_before", True):
        return response  # not a login post, or signed in already: the form only redirects
    username = _username_tried()
    if not username:
        return response  # an empty form: nothing was tried
    if request.endpoint == API_LOGIN:
        succeeded = response.status_code == 200
    else:
        succeeded = current_user.is_authenticated
        if succeeded:
            username = current_user.username  # the form also takes an e-mail address
    user_id, org = _account(username)
    if succeeded:
        record("sign_in", "ab_user", user_id, org, f"{username} signed in", who=username)
    else:
        record("sign_in_failed", "ab_user", user_id, org,
               f"sign-in as {username[:100]} refused ({response.status_code})", who="anonymous")
    db.session.commit()
    return response


def _username_tried():
    if request.endpoint == API_LOGIN:
        body = request.get_json(silent=True)
        value = body.get("username") if isinstance(body, dict) else None
    else:
        value = request.form.get("username")
    return value.strip()[:128] if isinstance(value, str) else None


def _account(username):
    """(user id, organization code) of the account the name belongs to, if any."""
    from flask_appbuilder.security.sqla.models import User

    from app.models import Membership, Organization
    row = db.session.execute(
        select(User.id, Organization.code)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Organization, Organization.id == Membership.organization_id)
        .where(User.username == username)).first()
    return (row[0], row[1]) if row else (None, None)
