"""The notice on the next page when an import the user started has ended (issue 17.12),
shown once, and the words of a result in the "Recent results" list."""
from flask import flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from app.models.imports import ImportStatus
from app.services import notices
from app.views.import_outcome import records_words, rows_words

# Requests that are not a page a person reads: polls, downloads, the REST API.
NOT_PAGES = ("DataImportView.status", "static", "appbuilder.static")
DOWNLOADS = (".static", "download", ".rejected_rows", "export", "csv")


def install(app):
    app.before_request(flash_finished_imports)


def flash_finished_imports():
    if request.method != "GET" or not _is_page():
        return
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return
    for imp in notices.take_notices(user.id):
        style, words = result_words(imp)
        flash(Markup('{} <a href="{}">{}</a>.').format(
            _("Import #%(id)s %(name)s: %(result)s", id=imp.id, name=imp.filename,
              result=words),
            url_for("ImportFileView.show", pk=imp.id), _("See the file")), style)


def _is_page():
    endpoint = request.endpoint or ""
    if not endpoint or endpoint in NOT_PAGES or endpoint.endswith(DOWNLOADS):
        return False
    if request.blueprint == "rq_dashboard" or request.path.startswith("/api/"):
        return False
    # No Accept header at all accepts anything (a page too).
    return not request.accept_mimetypes or request.accept_mimetypes.accept_html


def result_words(imp):
    """(alert style, short sentence) of a finished import."""
    accepted, rejected = imp.accepted or 0, imp.rejected or 0
    if imp.status == ImportStatus.failed:
        return "danger", _("could not be imported.")
    if imp.status == ImportStatus.imported:
        waiting = _("%(rows)s imported, waiting for consolidation",
                    rows=rows_words(accepted))
        if rejected:
            return "info", _("%(waiting)s; %(rows)s rejected.", waiting=waiting,
                             rows=rows_words(rejected))
        return "info", f"{waiting}."
    if imp.status == ImportStatus.needs_attention:
        return "warning", ngettext("%(rows)s was not imported, %(accepted)s accepted.",
                                   "%(rows)s were not imported, %(accepted)s accepted.",
                                   rejected, rows=rows_words(rejected), accepted=accepted)
    return "success", _("imported, %(records)s.", records=records_words(accepted))
