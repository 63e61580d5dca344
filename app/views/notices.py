"""The notice on the next page when an import the user started has ended (issue 17.12),
shown once, and the words of a result in the "Recent results" list."""
from flask import flash, g, request, url_for
from markupsafe import Markup

from app.models.imports import ImportStatus
from app.services import notices
from app.views.wording import counted, were

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
        flash(Markup('Import #{} {}: {} <a href="{}">See the file</a>.').format(
            imp.id, imp.filename, words, url_for("ImportFileView.show", pk=imp.id)), style)


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
        return "danger", "could not be imported."
    if imp.status == ImportStatus.imported:
        return "info", (f"{counted(accepted, 'row')} imported, waiting for consolidation"
                        + (f"; {counted(rejected, 'row')} rejected." if rejected else "."))
    if imp.status == ImportStatus.needs_attention:
        return "warning", (f"{counted(rejected, 'row')} {were(rejected)} not imported, "
                           f"{accepted} accepted.")
    return "success", f"imported, {counted(accepted, 'record')}."
