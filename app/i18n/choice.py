"""Which language and time zone a request speaks.

Language: the one the user chose with the switch in the navigation bar (kept on their
account, so it follows them to every browser), else their organization's language, else
BABEL_DEFAULT_LOCALE. It is put in the session at sign-in and by the switch, so a page
costs no query for it; the framework's switch and language menu read the same
`session["locale"]`. Before sign-in the visitor's own choice (or the default) holds.

Time zone: the user's organization's, else TIME_ZONE (MUARA_TIME_ZONE).
"""
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user, user_logged_in
from sqlalchemy import select

from app.extensions import db
from app.models import AccountState, Membership, Organization
from app.services.transaction import owns_transaction

LOCALE = "locale"


def languages():
    return current_app.config["LANGUAGES"]


def default_language():
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale():
    if not has_request_context():
        return default_language()
    # The framework's REST API asks for a language with ?_l_=.
    asked = request.args.get("_l_")
    if asked in languages():
        return asked
    if request.path.startswith("/api/"):
        return default_language()
    locale = session.get(LOCALE)
    return locale if locale in languages() else default_language()


def select_timezone():
    if has_request_context():
        zone = g.get("_muara_time_zone")
        if zone is None:
            zone = g._muara_time_zone = _user_time_zone() or current_app.config["TIME_ZONE"]
        return zone
    return current_app.config["TIME_ZONE"]


def _user_time_zone():
    if not getattr(current_user, "is_authenticated", False):
        return None
    return db.session.execute(
        select(Organization.time_zone)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == current_user.id)).scalar()


def account_language(user_id):
    """The language a user reads in: their own choice, else their organization's."""
    row = db.session.execute(
        select(AccountState.language, Organization.language)
        .select_from(Membership)
        .join(Organization, Organization.id == Membership.organization_id)
        .outerjoin(AccountState, AccountState.user_id == Membership.user_id)
        .where(Membership.user_id == user_id)).first()
    if row is None:
        own = db.session.execute(select(AccountState.language)
                                 .where(AccountState.user_id == user_id)).scalar()
        return own if own in languages() else default_language()
    own, organization = row
    for language in (own, organization):
        if language in languages():
            return language
    return default_language()


@owns_transaction
def remember_language(user_id, language):
    """The user chose `language` with the switch: kept on their account."""
    state = db.session.get(AccountState, user_id)
    if state is None:
        state = AccountState(user_id=user_id, session_version=1)
        db.session.add(state)
    state.language = language


def install_choice(app, appbuilder):
    babel = app.extensions["babel"]
    babel.locale_selector = select_locale
    babel.timezone_selector = select_timezone
    # The framework's switch (/lang/<locale>) keeps the choice in the session only;
    # a signed-in user's choice is kept on their account too.
    endpoint = f"{appbuilder.bm.locale_view.__class__.__name__}.index"
    switch = app.view_functions[endpoint]

    def switch_and_remember(locale):
        response = switch(locale)
        if locale in languages() and getattr(current_user, "is_authenticated", False):
            remember_language(current_user.id, locale)
        return response

    app.view_functions[endpoint] = switch_and_remember
    user_logged_in.connect(_speak_at_sign_in, app)
    app.context_processor(lambda: {"current_language": str(get_locale() or "en")})


def _speak_at_sign_in(sender, user, **extra):
    """At sign-in the session takes the account's language."""
    session[LOCALE] = account_language(user.id)
