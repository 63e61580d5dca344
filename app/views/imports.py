"""The Data Import screen with its live progress (IMP-1..3) and the Files list (IMP-5/6)."""
import json

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from markupsafe import Markup
from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.importing.modules import MODULES, TEMPLATE_SET, module_choices, module_label
from app.importing.reading_words import read_as_words, warning_lines
from app.importing.workbooks import rejected_rows_workbook
from app.models import ImportBlob, ImportFile, ImportRejection, MapperTemplate
from app.models.organizations import OrgKind
from app.services import imports as import_service
from app.services import template_sets as set_service
from app.views.base import TenantModelView, chosen_org, visible_or_404, writable_organizations
from app.views.display import name_only
from app.views.downloads import attachment
from app.views.import_outcome import outcome, progress_line

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_import(pk):
    return visible_or_404(ImportFile, pk)


def status_payload(imp):
    payload = import_service.summary(imp, limit=20)
    payload.update(rows_total=imp.rows_total, rows_done=imp.rows_done,
                   status_label=imp.status.label, finished=imp.job_finished,
                   progress_text=progress_line(imp),
                   file_url=url_for("ImportFileView.show", pk=imp.id),
                   rejections_url=url_for("ImportRejectionView.list", _flt_0_import_file=imp.id),
                   rejected_rows_url=url_for("ImportFileView.rejected_rows", pk=imp.id))
    if imp.job_finished:
        payload["outcome_style"], payload["outcome_text"] = outcome(imp, payload)
    return payload


def missing_templates_note(org, templates):
    """The modules whose files would be refused for want of a template (TPL-5), said
    before a file is chosen. Other modules can still be imported, so it blocks nothing."""
    have = {t.module for t in templates}
    missing = [m.label for m in MODULES.values() if m.name not in have]
    if not missing:
        return None
    return (f"{org.code} has no mapper template for {', '.join(missing)}: files of "
            f"{'this module' if len(missing) == 1 else 'these modules'} are refused until "
            "there is one. A Template Editor can add the default templates (Mapper "
            "Templates > Add default templates).")


class DataImportView(BaseView):
    """Choose the module, who may view the file, the source integration and the template;
    drop one file. Every precondition of IMP-2 is checked with its own message."""
    route_base = "/data-import"
    default_view = "index"

    def _form_context(self, org, **extra):
        context = {"organizations": writable_organizations(OrgKind.distributor), "org": org,
                   "modules": module_choices(), "principals": [], "integrations": [],
                   "templates": [], "problems": [], "missing_templates": None}
        if org is not None:
            context["principals"] = import_service.active_principals(org)
            context["integrations"] = import_service.active_external_integrations(org)
            context["templates"] = db.session.execute(
                select(MapperTemplate).where(MapperTemplate.organization_id == org.id)
                .order_by(MapperTemplate.module, MapperTemplate.name)).scalars().all()
            if not context["principals"]:
                context["problems"].append(
                    f"{org.code} has no active connection with a principal: a connection is "
                    "needed before importing.")
            if not context["integrations"]:
                context["problems"].append(
                    f"{org.code} has no active External integration: create one before importing.")
            context["missing_templates"] = missing_templates_note(org, context["templates"])
        context.update(extra)
        return context

    @expose("/")
    @has_access
    @permission_name("upload")
    def index(self):
        org = chosen_org(writable_organizations(OrgKind.distributor), required=False)
        return self.render_template("data_import.html", **self._form_context(org))

    @expose("/upload", methods=["POST"])
    @has_access
    @permission_name("upload")
    def upload(self):
        org = chosen_org(writable_organizations(OrgKind.distributor))
        upload = request.files.get("file")
        form = request.form
        error, duplicate = None, False
        if upload is None or not upload.filename:
            error = "Choose a file to import (one file per import)."
        else:
            try:
                imp = import_service.create_import(
                    org, form.get("module", ""), upload.filename, upload.stream,
                    user=g.user,
                    principal_code=form.get("principal") or None,
                    integration_name=form.get("integration") or None,
                    template_name=form.get("template") or None,
                    force=form.get("force") == "1")
            except import_service.DuplicateFile as exc:
                db.session.rollback()
                error = (f"This file was already imported as "
                         f"{import_service.describe_import(exc.earlier)}. To import it again, "
                         "tick \"Import it anyway\" below and choose the file again.")
                duplicate = True
            except MuaraError as exc:
                db.session.rollback()
                error = str(exc)
        if error:
            context = self._form_context(org, error=error, duplicate=duplicate,
                                         chosen=form.to_dict())
            return self.render_template("data_import.html", **context), 400
        return redirect(url_for("DataImportView.progress", pk=imp.id))

    @expose("/progress/<int:pk>")
    @has_access
    @permission_name("progress")
    def progress(self, pk):
        imp = visible_import(pk)
        return self.render_template("import_progress.html", imp=imp,
                                    module_label=module_label(imp.module),
                                    payload=status_payload(imp))

    @expose("/status/<int:pk>")
    @has_access
    @permission_name("progress")
    def status(self, pk):
        return jsonify(status_payload(visible_import(pk)))


def warnings_list(warnings_json):
    """The file's warnings on its page, one per line (escaped: they quote the file)."""
    lines = warning_lines(warnings_json)
    if not lines:
        return "none"
    return Markup("<ul class=\"file-warnings\">{}</ul>").format(
        Markup("").join(Markup("<li>{}</li>").format(line) for line in lines))


# (filter argument, value, label). "Imported" is seed 000's Imported list: every file not
# archived (waiting, processing, or failed and needing action); then one tab per state.
IMPORTED_LIST = ("_flt_1_status", "archived", "Imported")
STATUS_TABS = [IMPORTED_LIST, ("_flt_0_status", "imported", "Waiting"),
               ("_flt_0_status", "processing", "Processing"),
               ("_flt_0_status", "archived", "Archived"),
               ("_flt_0_status", "needs_attention", "Needs attention"),
               ("_flt_0_status", "failed", "Failed")]


class ImportFileView(TenantModelView):
    """Every imported file with its state, counts and the actions on it."""
    route_base = "/imports"
    list_title = "Files"
    show_title = "File"
    datamodel = SQLAInterface(ImportFile)
    base_permissions = ["can_list", "can_show", "can_download", "can_rejected_rows",
                        "can_reprocess"]
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
                          "warnings_json": warnings_list}

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
        """The rejected rows with their original columns plus a Reason column (IMP-8)."""
        imp = visible_import(pk)
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
                flash(str(exc), "danger")
            else:
                flash(f"Import #{imp.id} is queued to be processed again.", "success")
            return redirect(url_for("ImportFileView.show", pk=pk))
        try:
            import_service.reprocess(imp)
        except MuaraError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("ImportFileView.show", pk=pk))
        flash(f"Import #{imp.id} is queued to be processed again.", "success")
        # The live progress page belongs to the Data Import screen; a user without it
        # (a Supervisor) goes back to the file's page instead of a 403.
        if self.appbuilder.sm.has_access("can_progress", "DataImportView"):
            return redirect(url_for("DataImportView.progress", pk=pk))
        return redirect(url_for("ImportFileView.show", pk=pk))

    def render_template(self, template, **kwargs):
        kwargs.setdefault("status_tabs", STATUS_TABS)
        current = next(((arg, value) for arg, value, _ in STATUS_TABS
                        if request.args.get(arg) == value), None)
        kwargs.setdefault("current_tab", current)
        if template == self.show_template and kwargs.get("pk") is not None:
            kwargs.update(workbook_parts(visible_import(kwargs["pk"])))
        return super().render_template(template, **kwargs)


def workbook_parts(imp):
    """For the file page: a workbook's sheets (issue 19.5) or, for a sheet, its workbook."""
    children = db.session.execute(select(ImportFile).where(ImportFile.parent_id == imp.id)
                                  .order_by(ImportFile.id)).scalars().all()
    return {"sheet_imports": children, "workbook": imp.parent if imp.parent_id else None,
            "this_import": imp}


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
