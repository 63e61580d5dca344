"""A precondition on a screen: its words in the reader's language, and a link to the
fixing screen when the signed-in user may use it (app.services.preconditions)."""
from flask import current_app, url_for
from flask_babel import gettext
from markupsafe import Markup

from app.i18n.message_words import message_words
from app.services.preconditions import listed


def fix_url(precondition):
    """The fixing screen's address, or None when this user may not use it."""
    if not precondition.endpoint:
        return None
    if not current_app.appbuilder.sm.has_access(precondition.permission, precondition.view):
        return None
    return url_for(precondition.endpoint, **precondition.args)


def problem_words(precondition):
    """What is missing, translated (the CLI and the API keep `precondition.problem`)."""
    return gettext(precondition.words, **listed(precondition.values, gettext))


def shown(precondition):
    """Markup: the problem, who can fix it, and the link when the user can."""
    problem, who = problem_words(precondition), gettext(precondition.who)
    url = fix_url(precondition)
    if url is None:
        return Markup("{} {}").format(problem, who)
    return Markup('{} {} <a class="alert-link precondition-fix" href="{}">{}</a>').format(
        problem, who, url, gettext(precondition.link_text) + " \u2192")


def error_shown(exc):
    """An error's words for a screen, in the reader's language: a failed precondition
    with its link, else the service's (English) message translated when it is listed
    (app.i18n.message_words)."""
    precondition = getattr(exc, "precondition", None)
    return shown(precondition) if precondition is not None else message_words(str(exc))
