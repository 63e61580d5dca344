"""The Data Import screen with its live progress (IMP-1..3) and the Files list (IMP-5/6)."""
import json

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.i18n.message_words import message_words
from app.importing.modules import MODULES, TEMPLATE_SET, XML_MODULES
from app.importing.reading_words import read_as_words, warning_lines
from app.importing.workbooks import rejected_rows_workbook
from app.models import ImportBlob, ImportFile, ImportRejection, MapperTemplate
from app.models.organizations import OrgKind
from app.services import fixes, notices, pending_uploads, preconditions
from app.services import imports as import_service
from app.services import template_sets as set_service
from app.services.rejections import reason_counts
from app.services.upload_form import module_offers
from app.views.base import TenantModelView, chosen_org, visible_or_404, writable_organizations
from app.views.display import name_only
from app.views.downloads import attachment
from app.views.errors import readable_size
from app.views.import_actions import FileActions
from app.views.import_outcome import checked_line, outcome, progress_line, speed
from app.views.notices import result_words
from app.views.outbox import mail_note
from app.views.pages import PageView, page_action
from app.views.preconditions import error_shown, shown
from app.views.wording import module_words, reason_words, size_words, state_tabs

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_import(pk):
    return visible_or_404(ImportFile, pk)


def status_payload(imp):
    payload = import_service.summary(imp, limit=20)
    payload.update(rows_total=imp.rows_total, rows_done=imp.rows_done,
                   status_label=imp.status.label, finished=imp.job_finished,
                   progress_text=progress_line(imp), **speed(imp),
                   file_url=url_for("ImportFileView.show", pk=imp.id),
                   rejections_url=url_for("ImportRejectionView.list", _flt_0_import_file=imp.id),
                   rejected_rows_url=url_for("ImportFileView.rejected_rows", pk=imp.id))
    if imp.job_finished:
        payload["outcome_style"], payload["outcome_text"] = outcome(imp, payload)
        payload["breakdown"] = reason_breakdown(imp) if imp.rejected else []
    return payload


def reason_breakdown(imp):
    """The rejected records by reason, each with the rejection log filtered to it."""
    return [{"reason": reason, "words": reason_words(reason), "count": count,
             "text": f"{reason_words(reason)}: {count}",
             "url": url_for("ImportRejectionView.list", _flt_0_import_file=imp.id,
                            _flt_3_reason=reason)}
            for reason, count in reason_counts(imp.id)]


def missing_templates_note(org, templates):
    """The modules whose files would be refused for want of a template (TPL-5), said
    before a file is chosen. Other modules can still be imported, so it blocks nothing."""
    have = {t.module for t in templates}
    missing = [m.label for m in MODULES.values() if m.name not in have]
    if not missing:
        return None
    return shown(preconditions.missing_templates(org, missing))


class DataImportView(PageView):
    """Choose the module, who may view the file, the source integration and the template;
    drop one file. Every precondition of IMP-2 is checked with its own message."""
    help_topic = "import-file"
    route_base = "/data-import"

    def _form_context(self, org, **extra):
        context = {"organizations": writable_organizations(OrgKind.distributor), "org": org,
                   "modules": [], "principals": [], "integrations": [],
                   "templates": [], "problems": [], "missing_templates": None,
                   "pending": None, "size_words": size_words,
                   "upload_limit": current_app.config["MAX_CONTENT_LENGTH"],
                   "upload_limit_text": readable_size(current_app.config["MAX_CONTENT_LENGTH"])}
        if org is not None:
            context["modules"] = module_offers(org)
            context["principals"] = import_service.active_principals(org)
            context["integrations"] = import_service.active_external_integrations(org)
            context["templates"] = db.session.execute(
                select(MapperTemplate).where(MapperTemplate.organization_id == org.id)
                .order_by(MapperTemplate.module, MapperTemplate.name)).scalars().all()
            if not context["principals"]:
                context["problems"].append(shown(preconditions.no_connection(org)))
            if not context["integrations"]:
                context["problems"].append(shown(preconditions.no_external_integration(org)))
            context["missing_templates"] = missing_templates_note(org, context["templates"])
        context.update(extra)
        return context

    @page_action("/", "upload")
    def index(self):
        org = chosen_org(writable_organizations(OrgKind.distributor), required=False)
        return self.render_template("data_import.html", **self._form_context(org))

    @page_action("/upload", "upload", methods=["POST"])
    def upload(self):
        """Import the chosen file, or the file kept from a refused submit; a refused
        submit keeps the chosen file (pending_uploads) so it is never chosen twice."""
        org = chosen_org(writable_organizations(OrgKind.distributor))
        form = request.form
        upload = request.files.get("file")
        kept = pending_uploads.find(form.get("pending", ""), g.user.id)
        if upload is not None and upload.filename:
            pending_uploads.discard(kept)  # a newly chosen file replaces the kept one
            kept, filename, stream = None, upload.filename, upload.stream
        elif kept is not None:
            filename, stream = kept.filename, kept.open()
        else:
            return self._refused(org, gettext("Choose a file to import (one file per import)."))
        try:
            imp = import_service.create_import(
                org, form.get("module", ""), filename, stream, user=g.user,
                principal_code=form.get("principal") or None,
                integration_name=form.get("integration") or None,
                template_name=form.get("template") or None,
                force=form.get("force") == "1", base_url=request.url_root,
                dry_run=form.get("dry_run") == "1")
        except import_service.DuplicateFile as exc:
            db.session.rollback()
            kept = kept or pending_uploads.keep(stream, filename, g.user.id)
            return self._refused(
                org, gettext("This file was already imported as %(earlier)s. To import it "
                             "again, tick \"Import it anyway\" below and press Import (the "
                             "file is kept).",
                             earlier=import_service.describe_import(exc.earlier)),
                kept, duplicate=True)
        except MuaraError as exc:
            db.session.rollback()
            kept = kept or pending_uploads.keep(stream, filename, g.user.id)
            return self._refused(org, error_shown(exc), kept)
        finally:
            if stream is not getattr(upload, "stream", None):
                stream.close()
        pending_uploads.discard(kept)
        return redirect(url_for("DataImportView.progress", pk=imp.id))

    def _refused(self, org, error, kept=None, duplicate=False):
        """The form again with the error, the choices made and the file kept."""
        context = self._form_context(org, error=error, duplicate=duplicate,
                                     chosen=request.form.to_dict(), pending=kept)
        return self.render_template("data_import.html", **context), 400

    @page_action("/progress/<int:pk>", "progress")
    def progress(self, pk):
        imp = watched_import(pk)
        return self.render_template("import_progress.html", imp=imp,
                                    module_label=module_words(imp.module),
                                    payload=status_payload(imp))

    @page_action("/status/<int:pk>", "progress")
    def status(self, pk):
        return jsonify(status_payload(watched_import(pk)))


def watched_import(pk):
    """The import the progress page shows; once its uploader saw it end there, no notice
    on their next page."""
    imp = visible_import(pk)
    if imp.job_finished and not imp.result_seen and imp.uploaded_by_id == g.user.id:
        notices.mark_seen(imp)
    return imp


def warnings_list(warnings_json):
    """The file's warnings on its page, one per line (escaped: they quote the file)."""
    lines = warning_lines(warnings_json)
    if not lines:
        return gettext("none")
    return Markup("<ul class=\"file-warnings\">{}</ul>").format(
        Markup("").join(Markup("<li>{}</li>").format(line) for line in lines))


class ImportFileView(FileActions, TenantModelView):
    """Every imported file with its state, counts and the actions on it."""
    help_topic = "sync-all"
    route_base = "/imports"
    list_title = "Files"
    show_title = "File"
    datamodel = SQLAInterface(ImportFile)
    base_permissions = ["can_list", "can_show", "can_download", "can_rejected_rows",
                        "can_reprocess", "can_import_now", "can_undo"]
    list_template = "imports_list.html"
    show_template = "import_show.html"
    list_columns = ["id", "filename", "module_name", "status_name", "rows_done", "accepted",
                    "rejected", "uploaded_by", "uploaded_at", "principal"]
    show_columns = ["id", "organization", "filename", "module_name", "status_name", "size",
                    "sha256", "uploaded_by", "uploaded_at", "principal", "integration",
                    "template", "read_as_json", "warnings_json", "rows_done", "accepted",
                    "rejected", "error_message", "started_at", "finished_at", "forced"]
    search_columns = ["status", "module", "filename", "uploaded_at", "organization"]
    order_columns = ["id", "filename", "uploaded_at", "rows_done", "accepted", "rejected"]
    base_order = ("id", "desc")
    label_columns = {"id": "#", "module_name": "Module", "status_name": "Status",
                     "rows_done": "Rows", "error_message": "Reason", "sha256": "SHA-256",
                     "size": "Size (bytes)", "read_as_json": "Read as",
                     "warnings_json": "Warnings"}
    formatters_columns = {"template": name_only, "read_as_json": read_as_words,
                          "warnings_json": warnings_list, "module_name": gettext,
                          "error_message": message_words}

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk):
        imp = visible_import(pk)
        content = db.session.execute(
            select(ImportBlob.content).where(ImportBlob.import_id == imp.id)).scalar()
        if content is None:
            abort(404)
        return attachment(content, imp.filename, "application/octet-stream")

    @expose("/rejected-rows/<int:pk>")
    @has_access
    def rejected_rows(self, pk):
        """The rejected rows with their original columns plus a Reason column (IMP-8); of
        a customer-returns file, its message log with each message's return."""
        imp = visible_import(pk)
        if imp.module in XML_MODULES:
            return attachment(_message_log_workbook(imp),
                              imp.filename.rsplit(".", 1)[0] + "_messages.xlsx", XLSX)
        header = json.loads(imp.header_json or "[]")
        rejections = db.session.execute(
            select(ImportRejection.row, ImportRejection.original, ImportRejection.message)
            .where(ImportRejection.import_id == imp.id)
            .order_by(ImportRejection.row.asc().nulls_first(), ImportRejection.id)).all()
        content = rejected_rows_workbook(header, _rows_with_reasons(rejections))
        name = imp.filename.rsplit(".", 1)[0] + "_rejected.xlsx"
        return attachment(content, name, XLSX)

    @expose("/reprocess/<int:pk>", methods=["POST"])
    @has_access
    def reprocess(self, pk):
        imp = visible_import(pk)
        if imp.module == TEMPLATE_SET:  # a workbook: its sheets, master data first
            try:
                set_service.reprocess_set(imp)
            except MuaraError as exc:
                flash(error_shown(exc), "danger")
            else:
                flash(gettext("Import #%(id)s is queued to be processed again.", id=imp.id),
                      "success")
            return redirect(url_for("ImportFileView.show", pk=pk))
        try:
            import_service.reprocess(imp)
        except MuaraError as exc:
            flash(error_shown(exc), "danger")
            return redirect(url_for("ImportFileView.show", pk=pk))
        flash(gettext("Import #%(id)s is queued to be processed again.", id=imp.id), "success")
        # The live progress page belongs to the Data Import screen; a user without it
        # (a Supervisor) goes back to the file's page instead of a 403.
        if self.appbuilder.sm.has_access("can_progress", "DataImportView"):
            return redirect(url_for("DataImportView.progress", pk=pk))
        return redirect(url_for("ImportFileView.show", pk=pk))

    def is_message_log(self, pk):
        """A customer-returns file's log holds messages per return, not rejected rows."""
        return visible_import(pk).module in XML_MODULES

    def family(self, pk):
        """The file's parent, child imports and rows to fix, for its page (issue 19)."""
        return fixes.family(visible_import(pk))

    def render_template(self, template, **kwargs):
        if template == self.show_template and kwargs.get("pk") is not None:
            imp = visible_import(kwargs["pk"])
            kwargs.setdefault("mail_note", mail_note(imp))
            # The file's check and undo results (issue 19) under its details, and a
            # workbook's sheets (issue 19.5).
            check = json.loads(imp.check_json or "null")
            kwargs.update(file=imp, check=check,
                          check_line=checked_line(check, imp.rejected or 0) if check else "",
                          undone=json.loads(imp.undo_json or "null"), **workbook_parts(imp))
        # The user's recent results head the unfiltered Files screen (issue 17.12).
        if template == self.list_template and not any(a.startswith("_flt_")
                                                      for a in request.args):
            kwargs.setdefault("recent_results", [
                (imp, *result_words(imp)) for imp in notices.recent_results(g.user.id)])
        kwargs.setdefault("view", self)
        tabs = state_tabs()
        kwargs.setdefault("status_tabs", tabs)
        current = next(((arg, value) for arg, value, _, _ in tabs
                        if request.args.get(arg) == value), None)
        kwargs.setdefault("current_tab", current)
        return super().render_template(template, **kwargs)


def workbook_parts(imp):
    """For the file page: a workbook's sheets (issue 19.5) or, for a sheet, its workbook
    (children of fixed rows have no sheet: app.services.fixes lists them)."""
    children = db.session.execute(select(ImportFile).where(ImportFile.parent_id == imp.id,
                                                           ImportFile.sheet.is_not(None))
                                  .order_by(ImportFile.id)).scalars().all()
    return {"sheet_imports": children, "workbook": imp.parent if imp.sheet else None,
            "this_import": imp}


def _message_log_workbook(imp):
    """A customer-returns file's messages: the return (by its number), severity, element
    and value, then the message, in the order of the file."""
    lines = db.session.execute(
        select(ImportRejection).where(ImportRejection.import_id == imp.id)
        .order_by(ImportRejection.row.asc().nulls_first(), ImportRejection.id)).scalars()
    return rejected_rows_workbook(
        ["Return", "Severity", "Element", "Value"],
        (([line.return_shown(), line.severity, line.column, line.value], line.message)
         for line in lines), sheet_title="Message log")


def _rows_with_reasons(rejections):
    """One line per rejected row: its original cells and every reason, joined."""
    current, cells, reasons = None, None, []
    for row, original, message in rejections:
        if row != current and current is not None:
            yield cells, " ".join(reasons)
            reasons = []
        current, cells = row, json.loads(original or "[]")
        reasons.append(message)
    if current is not None:
        yield cells, " ".join(reasons)
