"""A precondition on a screen: its words, and a link to the fixing screen when the
signed-in user may use it (app.services.preconditions)."""
from flask import current_app, url_for
from markupsafe import Markup


def fix_url(precondition):
    """The fixing screen's address, or None when this user may not use it."""
    if not precondition.endpoint:
        return None
    if not current_app.appbuilder.sm.has_access(precondition.permission, precondition.view):
        return None
    return url_for(precondition.endpoint, **precondition.args)


def shown(precondition):
    """Markup: the problem, who can fix it, and the link when the user can."""
    url = fix_url(precondition)
    if url is None:
        return Markup("{} {}").format(precondition.problem, precondition.who)
    return Markup('{} {} <a class="alert-link precondition-fix" href="{}">{}</a>').format(
        precondition.problem, precondition.who, url, precondition.link_text + " \u2192")


def error_shown(exc):
    """An error's words for a screen: a failed precondition with its link."""
    precondition = getattr(exc, "precondition", None)
    return shown(precondition) if precondition is not None else str(exc)
