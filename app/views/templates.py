"""Mapper templates edited in forms, with their field lines inline (TPL-1..4); export
and import as a file (TPL-2); a mapping proposed from a sample file (TPL-4)."""
import os

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from wtforms import SelectField

from app.errors import MuaraError
from app.i18n.formats import language
from app.i18n.screens import menu_text, screen_text
from app.importing.columns import HEADER, LETTER, column_letter
from app.importing.encodings import LABELS as ENCODING_LABELS
from app.importing.faults import FileRejected
from app.importing.matching import propose_mapping
from app.importing.modules import MODULES, WHEN_MULTI_LOCATION
from app.importing.samples import read_sample
from app.importing.sheets import sheet_argument
from app.importing.workbooks import template_workbook
from app.models import MapperTemplate, TemplateField
from app.models.organizations import OrgKind
from app.models.templates import POLICY_LABELS, RejectionPolicy
from app.security.filters import TENANT_BASE_FILTERS, WRITABLE_ORGS
from app.services import templates as template_service
from app.views.base import TenantModelView, chosen_org, visible_or_404, writable_organizations
from app.views.display import name_only, or_text
from app.views.downloads import attachment
from app.views.pages import PageView, page_action
from app.views.wording import module_words

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_HELP = "Its name, or #2 for the second sheet; empty = the first visible sheet."
SOURCE_KIND_LABELS = {HEADER: screen_text("a header's text"),
                      LETTER: screen_text("a column letter (A = the sheet's first column)")}
POLICY_WORDS = {policy: screen_text(label) for policy, label in POLICY_LABELS.items()}
ENCODING_CHOICES = [("", "decided from the file"), ("utf-8-sig", "UTF-8"), ("utf-16", "UTF-16"),
                    ("cp1250", "Windows-1250 (Central European)"),
                    ("cp1252", "Windows-1252 (Western)"), ("iso8859-1", "ISO-8859-1 (Latin-1)"),
                    ("iso8859-2", "ISO-8859-2 (Latin-2)"), ("cp1251", "Windows-1251 (Cyrillic)")]


def encoding_label(codec):
    return ENCODING_LABELS.get(codec, codec) if codec else _("decided from the file")


def field_words(field):
    """A module field's header in the reader's language (Kode Pelanggan, Customer Code)."""
    return field.header_id if field.header_id and language() == "id" else field.header


HEADER_FIELDS = {f.header: f for m in MODULES.values() for f in m.fields}


def header_words(header):
    """A field's English header (a field line's `field_header`) in the reader's language."""
    field = HEADER_FIELDS.get(header)
    return field_words(field) if field is not None else header


def notes_words():
    """The template file's Notes sheet in the reader's language."""
    return {"sheet": _("Notes"), "header": (_("Column"), _("Required"), _("Rules")),
            "yes": _("Yes"), "no": _("No")}


def module_field_choices():
    """(field, "Module: Header") in the reader's language, read when shown."""
    return [(f.name, LazyString(lambda m=m, f=f: f"{_(m.label)}: {field_words(f)}"))
            for m in MODULES.values() for f in m.fields]


def field_title(name):
    """How the field choice list shows a field: "Module: Header"."""
    return next((label for value, label in module_field_choices() if value == name), name)


class TemplateFieldView(TenantModelView):
    """The field lines of a template, shown inside it."""
    datamodel = SQLAInterface(TemplateField)
    add_columns = edit_columns = ["template", "position", "field", "source_column",
                                  "source_kind", "required", "default_value", "trim", "case",
                                  "date_formats", "decimal_separator", "thousands_separator",
                                  "value_map"]
    # Pages show the module field's header ("Customer PO"), the forms its name.
    list_columns = ["field_header" if c == "field" else c for c in add_columns[1:]]
    show_columns = ["template"] + list_columns
    base_order = ("position", "asc")
    add_form_query_rel_fields = edit_form_query_rel_fields = {"template": WRITABLE_ORGS}
    search_form_query_rel_fields = {"template": TENANT_BASE_FILTERS}
    label_columns = {"field_header": "Field",
                     "source_column": "Source column",
                     "source_kind": "The source column is",
                     "date_formats": "Date formats (e.g. %Y-%m-%d, %d/%m/%Y)",
                     "value_map": "Value map (e.g. Y=true; N=false)",
                     "case": "Case (upper/lower)"}
    formatters_columns = {"template": name_only, "field_header": header_words,
                          "source_kind": lambda kind: str(SOURCE_KIND_LABELS.get(kind, kind))}
    add_form_extra_fields = edit_form_extra_fields = {
        "field": SelectField("Field", choices=module_field_choices()),
        "source_kind": SelectField("The source column is",
                                   choices=list(SOURCE_KIND_LABELS.items()), default=HEADER),
        "case": SelectField("Case", choices=[("", "unchanged"), ("upper", "UPPER"),
                                             ("lower", "lower")]),
    }

    def owning_org_id(self, item):
        return item.template.organization_id if item.template else None

    def _check_write(self, item):
        if item.template is not None:
            module = MODULES.get(item.template.module)
            if module and item.field not in {f.name for f in module.fields}:
                raise ValueError(_("%(field)s is not a field of %(module)s: choose a field "
                                   "of %(module)s.", field=field_title(item.field),
                                   module=_(module.label)))
        try:
            item.source_column, item.source_kind = template_service.check_source(
                item.field, item.source_column, item.source_kind or HEADER)
        except MuaraError as exc:
            raise ValueError(str(exc)) from None
        super()._check_write(item)


class TemplateView(TenantModelView):
    help_topic = "mapper-templates"
    list_title = "Mapper Templates"
    show_title = "Mapper Template"
    datamodel = SQLAInterface(MapperTemplate)
    related_views = [TemplateFieldView]
    list_template = "template_list.html"
    show_template = "template_show.html"
    edit_template = "appbuilder/general/model/edit_cascade.html"
    list_columns = ["organization", "name", "module", "is_default", "file_format", "sheet",
                    "header_row", "policy"]
    add_columns = edit_columns = ["organization", "name", "module", "file_format", "sheet",
                                  "header_row", "encoding", "policy"]
    show_columns = [*add_columns, "is_default"]
    search_columns = ["organization", "name", "module", "policy"]
    base_order = ("name", "asc")
    label_columns = {"sheet": "Sheet", "policy": "On rejections",
                     "is_default": "Module's default",
                     "encoding": "CSV text encoding"}
    description_columns = {"sheet": SHEET_HELP,
                           "encoding": "Empty: decided from the file's bytes, and shown with "
                                       "the result."}
    formatters_columns = {"module": module_words,
                          "file_format": or_text("any (detected)"),
                          "sheet": or_text("first visible sheet"),
                          "encoding": encoding_label,
                          "policy": lambda value: str(POLICY_WORDS[RejectionPolicy(value)])}
    add_form_extra_fields = edit_form_extra_fields = {
        "module": SelectField("Module", choices=[(m.name, m.label) for m in MODULES.values()]),
        "file_format": SelectField("File format", choices=[
            ("", "any (detected from the file)"), ("xlsx", "xlsx"), ("xls", "xls"),
            ("ods", "ods"), ("csv", "csv")]),
        "encoding": SelectField("CSV text encoding", choices=ENCODING_CHOICES, default=""),
    }

    def pre_add(self, item):
        self._check_encoding(item)
        super().pre_add(item)
        # The first template of a module is its default (there is one default per module).
        item.is_default = template_service.module_default(item.organization_id or
                                                          item.organization.id,
                                                          item.module) is None

    def pre_update(self, item):
        self._check_encoding(item)
        super().pre_update(item)

    @staticmethod
    def _check_encoding(item):
        try:
            item.encoding = template_service.check_encoding(item.encoding)
        except MuaraError as exc:
            raise ValueError(str(exc)) from None

    # --- export and import as a file (TPL-2) ---------------------------------------

    @expose("/export/<int:pk>")
    @has_access
    def export(self, pk):
        """The template as a JSON file, to copy it to another organization."""
        template = visible_template(pk)
        filename = template_service.export_filename(template)
        return attachment(template_service.export_template(template), filename,
                          "application/json")

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_template(self):
        """Upload an exported template file into an organization the user may write to."""
        organizations = writable_organizations()
        org = chosen_org(organizations)
        context = {"organizations": organizations, "org": org, "error": None,
                   "name": request.form.get("name", "")}
        if request.method == "GET":
            return self.render_template("template_import.html", **context)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            context["error"] = "Choose the template file (.json) to import."
            return self.render_template("template_import.html", **context), 400
        try:
            template = template_service.import_template(
                org, upload.read(), name=request.form.get("name", "").strip() or None)
        except MuaraError as exc:
            context["error"] = str(exc)
            return self.render_template("template_import.html", **context), 400
        flash(_("Template %(name)s imported into %(org)s (%(lines)s field lines).",
                name=template.name, org=org.code, lines=len(template.fields)), "success")
        return redirect(url_for("TemplateView.show", pk=template.id))

    def render_template(self, template, **kwargs):
        if template == self.show_template and "pk" in kwargs:  # for "Make default"
            kwargs.setdefault("item", self.datamodel.get(kwargs["pk"], self._base_filters))
        return super().render_template(template, **kwargs)

    # --- the module's default template (issue 17) -----------------------------------

    @expose("/make-default/<int:pk>", methods=["POST"])
    @has_access
    def make_default(self, pk):
        """Mark the template as the one its module's files are read with when the upload
        names none; the module's former default stops being it."""
        template = visible_template(pk)
        self._check_write(template)
        template_service.make_default(template)
        flash(_("%(name)s is now the default template for %(module)s: files of the module are "
                "read with it unless the upload names another.", name=template.name,
                module=module_words(template.module)), "success")
        return redirect(url_for("TemplateView.show", pk=pk))

    # --- the default templates (TPL-3) ----------------------------------------------

    @expose("/defaults", methods=["GET", "POST"])
    @has_access
    def defaults(self):
        """The modules a distributor has no template for, and on confirmation their
        default templates (the documented columns), to adapt afterwards."""
        organizations = writable_organizations(kind=OrgKind.distributor)
        org = chosen_org(organizations)
        if request.method == "POST":
            made = template_service.add_default_templates(org)
            if made:
                words = _("1 default template") if len(made) == 1 else _(
                    "%(count)s default templates", count=len(made))
                flash(_("%(templates)s added to %(org)s: %(names)s.", templates=words,
                        org=org.code, names=", ".join(t.name for t in made)), "success")
            else:
                flash(_("%(org)s already has a template for every module.", org=org.code), "info")
            return redirect(url_for("TemplateView.list"))
        missing = [MODULES[name] for name in template_service.missing_default_modules(org)]
        return self.render_template("template_defaults.html", organizations=organizations,
                                    org=org, missing=missing)

    # --- proposed mapping from a sample file (TPL-4) --------------------------------

    @expose("/propose", methods=["GET", "POST"])
    @has_access
    def propose(self):
        """Step 1: module and a sample file. Step 2: the proposed column of each field,
        confirmed or corrected, and the template's name; confirming creates it."""
        organizations = writable_organizations()
        org = chosen_org(organizations)
        form = request.form
        context = {"organizations": organizations, "org": org, "modules": list(MODULES.values()),
                   "error": None, "chosen": form.to_dict()}
        if request.method == "GET":
            return self.render_template("template_propose.html", **context)
        if form.get("step") == "confirm":
            return self._confirm(org, context)
        module = MODULES.get(form.get("module", ""))
        upload = request.files.get("file")
        if module is None:
            context["error"] = "Choose the module the template is for."
        elif upload is None or not upload.filename:
            context["error"] = "Choose a sample file (.xlsx, .xls, .ods or .csv) with a header row."
        else:
            try:
                header_row = template_service.parse_header_row(form.get("header_row") or 1)
                sheet = (form.get("sheet") or "").strip() or None
                fmt, headers, samples = read_sample(
                    upload.read(), upload.filename,
                    current_app.config.get("MAX_UNPACKED_MB", 1024) * 1024 * 1024, sheet,
                    header_row)
            except (MuaraError, FileRejected) as exc:
                context["error"] = str(exc)
            else:
                return self.render_template("template_propose.html", **mapping_context(
                    context, module, headers, fmt, sheet, header_row,
                    name=default_proposal_name(module, upload.filename), samples=samples))
        return self.render_template("template_propose.html", **context), 400

    def _confirm(self, org, context):
        form = request.form
        module = MODULES.get(form.get("module", ""))
        if module is None:
            abort(400)
        headers = form.getlist("headers")
        samples = [value.split(SAMPLE_SEPARATOR) if value else []
                   for value in form.getlist("samples")]
        fmt = form.get("file_format") or None
        sheet = form.get("sheet") or None
        header_row = form.get("header_row") or 1
        chosen = {f.name: (form.get(f"column-{f.name}") or None) for f in module.fields}
        name = form.get("name", "").strip()
        try:
            template = template_service.create_template_from_mapping(
                org, module.name, name, chosen_sources(chosen, headers), file_format=fmt,
                sheet=sheet, header_row=header_row)
        except MuaraError as exc:
            context["error"] = str(exc)
            try:
                header_row = int(header_row)
            except (TypeError, ValueError):
                header_row = 1
            return self.render_template("template_propose.html", **mapping_context(
                context, module, headers, fmt, sheet, header_row, name=name,
                chosen=chosen, samples=samples)), 400
        flash(_("Template %(name)s created for %(module)s with %(count)s mapped columns.",
                name=template.name, module=module.label,
                count=sum(1 for c in chosen.values() if c)), "success")
        return redirect(url_for("TemplateView.show", pk=template.id))


# The modules' descriptions, shown on the Template files screen in the reader's language.
menu_text(*(module.description for module in MODULES.values()))


class ModuleTemplateView(PageView):
    """The documented template file of each module: headers, an example row, notes (TPL-3)."""
    help_topic = "mapper-templates"
    route_base = "/template-files"

    @expose("/")
    @has_access
    def index(self):
        organizations = writable_organizations(kind=OrgKind.distributor)
        return self.render_template("template_files.html", modules=list(MODULES.values()),
                                    field_words=field_words,
                                    organizations=organizations,
                                    org=chosen_org(organizations, required=False))

    @expose("/<module_name>.xlsx")
    @has_access
    def download(self, module_name):
        """The module's file; its code columns offer the codes of the chosen distributor
        (the user's own), read at each download (issue 19.4)."""
        module = MODULES.get(module_name)
        if module is None:
            abort(404)
        org = chosen_org(writable_organizations(kind=OrgKind.distributor), required=False)
        # The columns headed in the reader's language: the default template reads either.
        columns = [dict(column, header=field_words(field))
                   for column, field in zip(module.template_columns(), module.fields,
                                            strict=True)]
        content = template_workbook(columns, _(module.label),
                                    code_lists=template_service.code_lists(org, module),
                                    notes_words=notes_words())
        return attachment(content, f"{module.name}_template.xlsx", XLSX)

    @page_action("/template/<int:pk>.xlsx", "download")
    def template_download(self, pk):
        """A mapper template's own file: its columns (headers, letters, header row and
        sheet) with the rules and the codes of its organization (issue 19.4)."""
        template = visible_template(pk)
        module = MODULES.get(template.module)
        if module is None:
            abort(404)
        # the template's sheet when it names one ("#2", a position, makes no name)
        sheet = template.sheet if isinstance(sheet_argument(template.sheet), str) else None
        content = template_workbook(
            template_service.template_file_columns(template), sheet or _(module.label),
            code_lists=template_service.code_lists(template.organization, module),
            header_row=template.header_row or 1, notes_words=notes_words())
        stem = template_service.export_filename(template).removesuffix(".muara-template.json")
        return attachment(content, f"{stem}.xlsx", XLSX)


# --- helpers of the template tools ------------------------------------------------------

def visible_template(pk):
    return visible_or_404(MapperTemplate, pk)


def default_proposal_name(module, filename):
    """The proposed template's name: the module in the reader's language and the file."""
    stem = os.path.splitext(os.path.basename(filename or ""))[0].strip()
    label = _(module.label)
    name = f"{label} ({stem})" if stem else label
    return name[:100]


LETTER_CHOICE = "letter:"  # a column chosen by its letter: "letter:C"
SAMPLE_SEPARATOR = "\x1f"  # a column's sample values in one hidden field (unit separator)


def chosen_sources(chosen, headers):
    """The confirm form's choices as sources: a header of the sample, or ("C", "letter")
    for a column chosen by its position (app.importing.columns)."""
    sources, strange = {}, []
    for field, value in chosen.items():
        if value is None or value in headers:
            sources[field] = value
        elif value.startswith(LETTER_CHOICE):
            sources[field] = (value[len(LETTER_CHOICE):], LETTER)
        else:
            strange.append(value)
    if strange:
        raise MuaraError("not a column of the sample file: " + ", ".join(strange))
    return sources


def mapping_context(context, module, headers, fmt, sheet, header_row, name, chosen=None,
                    samples=()):
    """The confirm step: one row per field with its proposal, the proposed column's
    first values and the user's choice."""
    proposals = {p.field: p for p in propose_mapping(headers, module)}
    rows = []
    for fld in module.fields:
        proposal = proposals[fld.name]
        selected = chosen.get(fld.name) if chosen is not None else proposal.header
        index = proposal.column_index
        rows.append({"field": fld, "proposal": proposal, "selected": selected,
                     "samples": samples[index] if index is not None and index < len(samples)
                     else [],
                     "required": fld.required is True,
                     "required_multi": fld.required == WHEN_MULTI_LOCATION})
    columns = [(column_letter(i), h) for i, h in enumerate(headers) if h]
    letters = [column_letter(i) for i in range(len(headers))]
    hidden_samples = [SAMPLE_SEPARATOR.join(values) for values in samples]
    context.update(step="confirm", module=module, headers=headers, columns=columns, rows=rows,
                   hidden_samples=hidden_samples,
                   letters=letters, letter_choice=LETTER_CHOICE,
                   file_format=fmt, sheet=sheet or "", header_row=header_row, name=name)
    return context
