"""Mapper templates: the default one per module, export and import as a file (TPL-2/3)."""
import json
import re
from typing import Optional

from sqlalchemy import select, update

from app.errors import MuaraError
from app.extensions import db
from app.importing.columns import (
    HEADER,
    LETTER,
    SOURCE_KINDS,
    column_index,
    column_letter,
    is_column_letter,
)
from app.importing.encodings import given_encoding
from app.importing.modules import MODULES, WHEN_MULTI_LOCATION, Module, field_column, module_label
from app.importing.tabular import load_lookups
from app.models import MapperTemplate, Organization, TemplateField
from app.models.organizations import OrgKind
from app.models.templates import RejectionPolicy
from app.services.transaction import owns_transaction

LINE_ATTRIBUTES = ("field", "source_column", "source_kind", "required", "default_value", "trim",
                   "case", "date_formats", "decimal_separator", "thousands_separator",
                   "value_map")
TEMPLATE_FORMAT = "muara-template/1"


def code_lists(org: Optional[Organization], module: Module) -> dict:
    """The codes a template file of `module` offers in its drop-down lists: per kind of
    looked-up code, the organization's codes in order (none without an organization)."""
    if org is None:
        return {}
    return {kind: sorted(codes) for kind, codes in
            load_lookups(db.session, org.id, module).items()}


def template_file_columns(template: MapperTemplate) -> list[dict]:
    """The columns of a mapper template's own file (issue 19.4): each mapped line's
    column with its field's rules; a line read by letter sits at its letter, the lines
    read by header fill the other places in their order, a place nothing reads is named
    after its letter."""
    module = MODULES[template.module]
    by_letter, by_header = {}, []
    for line in template.fields:
        if not line.source_column:
            continue
        fld = module.field(line.field)
        required = bool(line.required) or fld.required is True
        if line.source_kind == LETTER:
            by_letter[column_index(line.source_column)] = field_column(fld, required=required)
        else:
            by_header.append(field_column(fld, header=line.source_column, required=required))
    width = max([len(by_letter) + len(by_header)] + [i + 1 for i in by_letter])
    columns, pending = [], iter(by_header)
    for index in range(width):
        column = by_letter.get(index) or next(pending, None)
        columns.append(column or {"header": f"Column {column_letter(index)} (not read)"})
    return columns


def default_template_name(module_name: str) -> str:
    return f"Default {module_label(module_name)}"


def create_default_template(org: Organization, module_name: str) -> MapperTemplate:
    """A template with the module's documented columns (TPL-3)."""
    module = MODULES.get(module_name)
    if module is None:
        raise MuaraError(f"Importing {module_label(module_name)} is not supported yet.")
    template = MapperTemplate(organization=org, module=module.name,
                              name=default_template_name(module.name), header_row=1,
                              policy=RejectionPolicy.accept_valid,
                              is_default=module_default(org.id, module.name) is None)
    for position, fld in enumerate(module.fields):
        template.fields.append(TemplateField(position=position, field=fld.name,
                                             source_column=fld.header,
                                             required=fld.required is True, trim=True))
    db.session.add(template)
    db.session.flush()
    return template


def missing_default_modules(org: Organization) -> list[str]:
    """The modules the organization has no template for, whose default name is free."""
    rows = db.session.execute(select(MapperTemplate.module, MapperTemplate.name).where(
        MapperTemplate.organization_id == org.id)).all()
    modules = {module for module, _ in rows}
    names = {name for _, name in rows}
    return [name for name in MODULES
            if name not in modules and default_template_name(name) not in names]


@owns_transaction
def add_default_templates(org: Organization) -> list[MapperTemplate]:
    """TPL-3, every module ships a default template: the ones a distributor lacks. A
    principal imports nothing, so it gets none."""
    if org.kind != OrgKind.distributor:
        raise MuaraError(f"{org.code} is a {org.kind}: only distributors import files, "
                         "so only they have mapper templates")
    return [create_default_template(org, name) for name in missing_default_modules(org)]


def module_default(org_id: int, module_name: str) -> Optional[MapperTemplate]:
    """The template marked as the module's default in the organization, if any."""
    return db.session.execute(select(MapperTemplate).where(
        MapperTemplate.organization_id == org_id, MapperTemplate.module == module_name,
        MapperTemplate.is_default.is_(True))).scalar()


def find_template(org: Organization, module_name: str,
                  name: Optional[str] = None) -> MapperTemplate:
    """The template to import with: the named one, else the module's default one, else
    its only one (TPL-5)."""
    query = select(MapperTemplate).where(MapperTemplate.organization_id == org.id,
                                         MapperTemplate.module == module_name)
    if name:
        template = db.session.execute(query.where(MapperTemplate.name == name)).scalar()
        if template is None:
            raise MuaraError(f"unknown template for {module_label(module_name)} in {org.code}: "
                             f"{name}")
        return template
    templates = db.session.execute(query.order_by(MapperTemplate.id)).scalars().all()
    if not templates:
        raise MuaraError(f"{org.code} has no mapper template for {module_label(module_name)}: "
                         "create one before importing (Mapper Templates > Add default "
                         f"templates, or `muara template defaults {org.code}`).")
    default = next((t for t in templates if t.is_default), None)
    if default is not None:
        return default
    if len(templates) > 1:
        names = ", ".join(t.name for t in templates)
        raise MuaraError(f"{org.code} has several templates for {module_label(module_name)} "
                         f"({names}) and none is its default: choose one, or ask a Template "
                         "Editor to mark the default (Mapper Templates > Make default).")
    return templates[0]


def templates_used(org: Organization) -> dict[str, dict]:
    """For the upload form, per module: {"name": the template a file is read with when
    none is chosen, or None; "count": how many templates the module has}."""
    templates = db.session.execute(select(MapperTemplate).where(
        MapperTemplate.organization_id == org.id).order_by(MapperTemplate.id)).scalars().all()
    used = {}
    for name in MODULES:
        mine = [t for t in templates if t.module == name]
        default = next((t for t in mine if t.is_default), None)
        if default is None and len(mine) == 1:
            default = mine[0]
        used[name] = {"name": default.name if default else None, "count": len(mine)}
    return used


@owns_transaction
def make_default(template: MapperTemplate) -> MapperTemplate:
    """Mark `template` as its module's default; the organization's former default of the
    module stops being it (one default per organization and module)."""
    db.session.execute(update(MapperTemplate).where(
        MapperTemplate.organization_id == template.organization_id,
        MapperTemplate.module == template.module, MapperTemplate.id != template.id,
        MapperTemplate.is_default.is_(True)).values(is_default=False))
    db.session.flush()
    template.is_default = True
    db.session.flush()
    return template


def export_template(template: MapperTemplate) -> str:
    """The template as a JSON document, to copy it or keep it in version control."""
    return json.dumps({
        "format": TEMPLATE_FORMAT, "name": template.name, "module": template.module,
        "file_format": template.file_format, "sheet": template.sheet,
        "encoding": template.encoding,
        "header_row": template.header_row, "policy": str(template.policy),
        "fields": [{attr: getattr(line, attr) for attr in LINE_ATTRIBUTES}
                   for line in template.fields],
    }, indent=2, ensure_ascii=False) + "\n"


@owns_transaction
def import_template(org: Organization, text: bytes, name: Optional[str] = None) -> MapperTemplate:
    """Create a template in `org` from an exported document; refuses a malformed one
    with a message that says what is wrong, and creates nothing then."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MuaraError("not a template file: it is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MuaraError(f"not a template file: it is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != TEMPLATE_FORMAT:
        raise MuaraError(f"not a template file (expected format {TEMPLATE_FORMAT})")
    module_name = data.get("module")
    module = MODULES.get(module_name) if isinstance(module_name, str) else None
    if module is None:
        if isinstance(module_name, str) and module_label(module_name) != module_name:
            raise MuaraError(f"the template file is for {module_label(module_name)}, which "
                             "cannot be imported yet")
        raise MuaraError(f"unknown module in template file: {module_name}")
    name = _template_name(name or data.get("name") or default_template_name(module.name))
    _check_name_free(org, name)
    file_format = data.get("file_format") or None
    if file_format is not None and file_format not in FILE_FORMATS:
        raise MuaraError(f"unknown file format in template file: {file_format} "
                         f"(one of {', '.join(FILE_FORMATS)})")
    sheet = data.get("sheet")
    sheet = None if sheet in (None, "") else str(sheet)
    if sheet is not None and len(sheet) > 100:
        raise MuaraError("the sheet name in the template file is longer than 100 characters")
    header_row = parse_header_row(data.get("header_row"))
    encoding = check_encoding(data.get("encoding"))
    try:
        policy = RejectionPolicy(data.get("policy") or "accept_valid")
    except ValueError:
        choices = ", ".join(p.value for p in RejectionPolicy)
        raise MuaraError(f"unknown rejection policy in template file: {data.get('policy')} "
                         f"(one of {choices})") from None
    lines = data.get("fields")
    if lines is None:
        lines = []
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise MuaraError("the template file's \"fields\" must be a list of field lines")
    known = {f.name for f in module.fields}
    seen = set()
    template = MapperTemplate(organization_id=org.id, module=module.name, name=name,
                              file_format=file_format, sheet=sheet, header_row=header_row,
                              encoding=encoding, policy=policy,
                              is_default=module_default(org.id, module.name) is None)
    for position, line in enumerate(lines):
        field = line.get("field")
        if field not in known:
            raise MuaraError(f"unknown field for {module.label}: {field} "
                             f"(one of {', '.join(sorted(known))})")
        if field in seen:
            raise MuaraError(f"the template file has the field {field} twice")
        seen.add(field)
        values = {attr: _line_value(field, attr, line.get(attr)) for attr in LINE_ATTRIBUTES}
        values["required"] = bool(values["required"])
        values["trim"] = values["trim"] is not False
        values["source_column"], values["source_kind"] = check_source(
            field, values["source_column"], values["source_kind"])
        if values["case"] not in (None, "", "upper", "lower"):
            raise MuaraError(f"field {field}: case must be upper or lower, not {values['case']}")
        template.fields.append(TemplateField(position=position, **values))
    db.session.add(template)
    db.session.flush()
    return template


FILE_FORMATS = ("xlsx", "xls", "ods", "csv", "xml")
# Longest text each line attribute may hold (the columns' sizes).
_LINE_LIMITS = {"field": 60, "source_column": 100, "source_kind": 10, "default_value": 200,
                "case": 10,
                "date_formats": 200, "decimal_separator": 1, "thousands_separator": 1}


def _line_value(field, attr, value):
    if attr in ("required", "trim"):
        return value
    if value is None or value == "":
        return None if attr != "field" else value
    if isinstance(value, (dict, list)):
        raise MuaraError(f"field {field}: {attr} must be text")
    value = str(value)
    limit = _LINE_LIMITS.get(attr)
    if limit and len(value) > limit:
        raise MuaraError(f"field {field}: {attr} is longer than {limit} characters")
    return value


def check_source(field: str, source: str | None,
                 kind: str | None) -> tuple[str | None, str]:
    """A line's (source, kind), checked. A file exported before lines said their kind
    reads as they were migrated: one or two letters are a column letter."""
    if kind is None:
        kind = LETTER if source and len(source.strip()) <= 2 and is_column_letter(source) \
            else HEADER
    if kind not in SOURCE_KINDS:
        raise MuaraError(f"field {field}: source_kind must be header or letter, not {kind}")
    if kind == LETTER:
        if not is_column_letter(source or ""):
            raise MuaraError(f"field {field}: {source} is not a column letter (A to XFD)")
        source = source.strip().upper()
    return source, kind


def check_encoding(name: str | None) -> str | None:
    """A template's fixed CSV encoding (a codec name), or None to decide from the file."""
    if name in (None, ""):
        return None
    try:
        return given_encoding(str(name)).codec
    except LookupError:
        raise MuaraError(f"'{name}' is not a known text encoding") from None


def _template_name(name):
    name = str(name).strip()
    if not name:
        raise MuaraError("the template needs a name")
    if len(name) > 100:
        raise MuaraError("the template name is longer than 100 characters")
    return name


def _check_name_free(org, name):
    exists = select(MapperTemplate.id).where(MapperTemplate.organization_id == org.id,
                                             MapperTemplate.name == name)
    if db.session.execute(exists).first():
        raise MuaraError(f"{org.code} already has a template named {name}")


def parse_header_row(value: object) -> int:
    try:
        row = int(value or 1)
    except (TypeError, ValueError):
        raise MuaraError(f"the header row must be a number, not {value}") from None
    if row < 1:
        raise MuaraError("the header row counts from 1")
    return row


def export_filename(template: MapperTemplate) -> str:
    """A safe file name for the exported template."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", template.name).strip("._") or "template"
    return f"{stem}.muara-template.json"


@owns_transaction
def create_template_from_mapping(org: Organization, module_name: str, name: str,
                                 columns: dict, file_format: str | None = None,
                                 sheet: str | None = None, header_row: int = 1,
                                 encoding: str | None = None) -> MapperTemplate:
    """A template with one line per field of the module (TPL-4, confirmed proposal).

    `columns` maps a field name to the chosen source column (a header of the sample
    file, or (letter, "letter") for a column by position), or None when the field is not
    mapped. A required field must have a column.
    """
    module = MODULES.get(module_name)
    if module is None:
        raise MuaraError(f"Importing {module_label(module_name)} is not supported yet.")
    name = _template_name(name or "")
    _check_name_free(org, name)
    if file_format and file_format not in FILE_FORMATS:
        raise MuaraError(f"unknown file format: {file_format}")
    unknown = set(columns) - {f.name for f in module.fields}
    if unknown:
        raise MuaraError(f"unknown field for {module.label}: {', '.join(sorted(unknown))}")
    needed = [f for f in module.fields if f.required is True
              or (f.required == WHEN_MULTI_LOCATION and org.multi_location)]
    unmapped = [f.header for f in needed if not columns.get(f.name)]
    if unmapped:
        raise MuaraError("choose a column for every required field: " + ", ".join(unmapped))
    encoding = check_encoding(encoding)
    template = MapperTemplate(organization_id=org.id, module=module.name, name=name,
                              file_format=file_format or None,
                              sheet=(str(sheet).strip() or None) if sheet is not None else None,
                              header_row=parse_header_row(header_row), encoding=encoding,
                              policy=RejectionPolicy.accept_valid,
                              is_default=module_default(org.id, module.name) is None)
    for position, fld in enumerate(module.fields):
        source, kind = columns.get(fld.name) or None, HEADER
        if isinstance(source, tuple):
            source, kind = check_source(fld.name, *source)
        if source is not None and len(source) > 100:
            raise MuaraError(f"the column name for {fld.header} is longer than 100 characters")
        template.fields.append(TemplateField(position=position, field=fld.name,
                                             source_column=source, source_kind=kind,
                                             required=fld.required is True, trim=True))
    db.session.add(template)
    db.session.flush()
    return template
