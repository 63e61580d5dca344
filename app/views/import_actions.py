"""Actions on a file's page for issue 19: "Import now" of a checked file, and Undo with its
confirmation page (the counts per table before anything happens; POST to confirm).
Mixed into ImportFileView, so they are its permissions (can_import_now, can_undo)."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext

from app.errors import MuaraError
from app.extensions import db
from app.importing.modules import TEMPLATE_SET
from app.models import ImportFile
from app.services import imports as import_service
from app.services import template_sets as set_service
from app.services import undo as undo_service
from app.views.base import visible_or_404
from app.views.preconditions import error_shown


class FileActions:
    """Import now and Undo, on ImportFileView."""

    @expose("/import-now/<int:pk>", methods=["POST"])
    @has_access
    def import_now(self, pk):
        imp = visible_or_404(ImportFile, pk)
        try:
            if imp.module == TEMPLATE_SET:  # a workbook: its sheets, master data first
                set_service.import_set_now(imp)
            else:
                import_service.import_now(imp)
        except MuaraError as exc:
            db.session.rollback()
            flash(error_shown(exc), "danger")
            return redirect(url_for("ImportFileView.show", pk=pk))
        flash(gettext("Import #%(id)s is queued to be imported: the same file, not uploaded "
                      "again.", id=imp.id), "success")
        if self.appbuilder.sm.has_access("can_progress", "DataImportView"):
            return redirect(url_for("DataImportView.progress", pk=pk))
        return redirect(url_for("ImportFileView.show", pk=pk))

    @expose("/undo/<int:pk>", methods=["GET", "POST"])
    @has_access
    def undo(self, pk):
        """GET: what the undo would do, or why it cannot; POST: undo it."""
        imp = visible_or_404(ImportFile, pk)
        if request.method == "POST":
            try:
                undo_service.request_undo(imp)
            except MuaraError as exc:
                flash(error_shown(exc), "danger")
                return redirect(url_for("ImportFileView.show", pk=pk))
            flash(gettext("Import #%(id)s is being undone; its result will be on this page.",
                          id=imp.id), "success")
            return redirect(url_for("ImportFileView.show", pk=pk))
        reason = undo_service.refusal(imp)
        counts = None if reason else undo_service.undo_plan(imp)
        return self.render_template("import_undo.html", imp=imp, reason=reason,
                                    counts=counts), (409 if reason else 200)
