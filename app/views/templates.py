"""Mapper templates edited in forms, with their field lines inline (TPL-1..4)."""
from flask import Response, abort
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms import SelectField

from app.importing.modules import MODULES
from app.importing.workbooks import template_workbook
from app.models import MapperTemplate, TemplateField
from app.security.filters import TENANT_BASE_FILTERS, WRITABLE_ORGS
from app.views.base import TenantModelView

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def module_field_choices():
    return [(f.name, f"{m.label}: {f.header}") for m in MODULES.values() for f in m.fields]


class TemplateFieldView(TenantModelView):
    """The field lines of a template, shown inside it."""
    datamodel = SQLAInterface(TemplateField)
    list_columns = ["position", "field", "source_column", "required", "default_value",
                    "trim", "case", "date_formats", "decimal_separator",
                    "thousands_separator", "value_map"]
    add_columns = edit_columns = show_columns = ["template"] + list_columns
    base_order = ("position", "asc")
    add_form_query_rel_fields = edit_form_query_rel_fields = {"template": WRITABLE_ORGS}
    search_form_query_rel_fields = {"template": TENANT_BASE_FILTERS}
    label_columns = {"source_column": "Source column (header text or letter)",
                     "date_formats": "Date formats (e.g. %Y-%m-%d, %d/%m/%Y)",
                     "value_map": "Value map (e.g. Y=true; N=false)",
                     "case": "Case (upper/lower)"}
    add_form_extra_fields = edit_form_extra_fields = {
        "field": SelectField("Field", choices=module_field_choices()),
        "case": SelectField("Case", choices=[("", "unchanged"), ("upper", "UPPER"),
                                             ("lower", "lower")]),
    }

    def owning_org_id(self, item):
        return item.template.organization_id if item.template else None

    def _check_write(self, item):
        if item.template is not None:
            module = MODULES.get(item.template.module)
            if module and item.field not in {f.name for f in module.fields}:
                raise ValueError(f"{item.field} is not a field of {module.label}")
        super()._check_write(item)


class TemplateView(TenantModelView):
    datamodel = SQLAInterface(MapperTemplate)
    related_views = [TemplateFieldView]
    show_template = "appbuilder/general/model/show_cascade.html"
    edit_template = "appbuilder/general/model/edit_cascade.html"
    list_columns = ["organization", "name", "module", "file_format", "sheet", "header_row",
                    "policy"]
    add_columns = edit_columns = ["organization", "name", "module", "file_format", "sheet",
                                  "header_row", "policy"]
    show_columns = add_columns
    search_columns = ["organization", "name", "module", "policy"]
    base_order = ("name", "asc")
    label_columns = {"sheet": "Sheet (name or number; empty = first)",
                     "policy": "On rejections"}
    add_form_extra_fields = edit_form_extra_fields = {
        "module": SelectField("Module", choices=[(m.name, m.label) for m in MODULES.values()]),
        "file_format": SelectField("File format", choices=[
            ("", "any (detected from the file)"), ("xlsx", "xlsx"), ("xls", "xls"),
            ("ods", "ods"), ("csv", "csv")]),
    }


class ModuleTemplateView(BaseView):
    """The documented template file of each module: headers, an example row, notes (TPL-3)."""
    route_base = "/template-files"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("template_files.html", modules=list(MODULES.values()))

    @expose("/<module_name>.xlsx")
    @has_access
    def download(self, module_name):
        module = MODULES.get(module_name)
        if module is None:
            abort(404)
        content = template_workbook(module.template_columns(), module.label)
        return Response(content, mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="{module.name}_template.xlsx"'})
