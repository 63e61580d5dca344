"""Template sets edited in forms, with their sheets inline; a workbook imported with a
set (issue 19.5)."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _

from app.errors import MuaraError
from app.importing.modules import MODULES, TABULAR
from app.models import TemplateSet, TemplateSetSheet
from app.security.filters import TENANT_BASE_FILTERS, WRITABLE_ORGS
from app.services import template_sets as set_service
from app.services.imports import DuplicateFile
from app.views.base import TenantModelView, visible_or_404
from app.views.display import name_only
from app.views.wording import module_words

SHEET_NAME_HELP = ("The sheet's name in the workbook, as Excel shows it on its tab "
                   "(upper or lower case does not matter).")
TEMPLATE_HELP = ("The mapper template that reads the sheet: its module (Customers, Products, "
                 "Open Invoices, ...) is what the sheet imports. Master data sheets are "
                 "imported first, whatever their position.")


class TemplateSetSheetView(TenantModelView):
    """The sheets of a set, shown inside it."""
    datamodel = SQLAInterface(TemplateSetSheet)
    add_columns = edit_columns = ["template_set", "position", "sheet", "template"]
    list_columns = ["position", "sheet", "template", "module_name"]
    show_columns = ["template_set", "position", "sheet", "template", "module_name"]
    base_order = ("position", "asc")
    add_form_query_rel_fields = edit_form_query_rel_fields = {"template_set": WRITABLE_ORGS,
                                                              "template": WRITABLE_ORGS}
    search_form_query_rel_fields = {"template_set": TENANT_BASE_FILTERS,
                                    "template": TENANT_BASE_FILTERS}
    label_columns = {"template_set": "Template set", "sheet": "Sheet name",
                     "template": "Mapper template", "module_name": "Imports"}
    description_columns = {"sheet": SHEET_NAME_HELP, "template": TEMPLATE_HELP}
    formatters_columns = {"template_set": name_only, "template": name_only}

    def owning_org_id(self, item):
        return item.template_set.organization_id if item.template_set else None

    def _check_write(self, item):
        item.sheet = (item.sheet or "").strip()
        if not item.sheet:
            raise ValueError(_("Give the sheet's name in the workbook."))
        if item.template is not None and item.template_set is not None:
            if item.template.organization_id != item.template_set.organization_id:
                raise ValueError(_("Choose a template of the set's organization."))
            module = MODULES.get(item.template.module)
            if module is None or module.kind != TABULAR:
                label = module_words(item.template.module)
                raise ValueError(_("%(name)s imports %(module)s, which a template set "
                                   "cannot hold: choose a template of Customers, Products, "
                                   "Open Invoices, Open Credits or Inventory in Boxes.",
                                   name=item.template.name, module=label))
        super()._check_write(item)


class TemplateSetView(TenantModelView):
    list_title = "Template Sets"
    show_title = "Template Set"
    datamodel = SQLAInterface(TemplateSet)
    related_views = [TemplateSetSheetView]
    show_template = "template_set_show.html"
    edit_template = "appbuilder/general/model/edit_cascade.html"
    list_columns = ["organization", "name", "sheet_list"]
    add_columns = edit_columns = ["organization", "name"]
    show_columns = ["organization", "name", "sheet_list"]
    search_columns = ["organization", "name"]
    base_order = ("name", "asc")
    label_columns = {"sheet_list": "Sheets (imported in this order)"}

    @expose("/import/<int:pk>", methods=["POST"])
    @has_access
    def upload_workbook(self, pk):
        """Import a workbook with this set: every sheet of the set, as one file."""
        template_set = visible_or_404(TemplateSet, pk)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose the workbook (.xlsx, .xls or .ods) to import."), "danger")
            return redirect(url_for("TemplateSetView.show", pk=pk))
        try:
            parent = set_service.create_set_import(
                template_set.organization, template_set, upload.filename, upload.stream,
                user=g.user, force=bool(request.form.get("force")),
                dry_run=bool(request.form.get("dry_run")))
        except DuplicateFile as duplicate:
            flash(_('This workbook was already imported as import #%(id)s: tick "Import it again" '
                    "to import it once more.", id=duplicate.earlier.id), "warning")
            return redirect(url_for("TemplateSetView.show", pk=pk))
        except MuaraError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("TemplateSetView.show", pk=pk))
        if parent.dry_run:
            flash(_("%(name)s is queued to be checked: nothing is written.",
                    name=upload.filename), "success")
        else:
            flash(_("%(name)s is queued: its sheets are imported one after the other, master "
                    "data first.", name=upload.filename), "success")
        return redirect(url_for("ImportFileView.show", pk=parent.id))
