"""Mapper templates: the default one per module, export and import as a file (TPL-2/3)."""
import json

from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.importing.modules import MODULES, module_label
from app.models import MapperTemplate, TemplateField
from app.models.templates import RejectionPolicy

LINE_ATTRIBUTES = ("field", "source_column", "required", "default_value", "trim", "case",
                   "date_formats", "decimal_separator", "thousands_separator", "value_map")
TEMPLATE_FORMAT = "muara-template/1"


def default_template_name(module_name):
    return f"Default {module_label(module_name)}"


def create_default_template(org, module_name):
    """A template with the module's documented columns (TPL-3)."""
    module = MODULES.get(module_name)
    if module is None:
        raise MuaraError(f"Importing {module_label(module_name)} is not supported yet.")
    template = MapperTemplate(organization=org, module=module.name,
                              name=default_template_name(module.name), header_row=1,
                              policy=RejectionPolicy.accept_valid)
    for position, fld in enumerate(module.fields):
        template.fields.append(TemplateField(position=position, field=fld.name,
                                             source_column=fld.header,
                                             required=fld.required is True, trim=True))
    db.session.add(template)
    db.session.flush()
    return template


def find_template(org, module_name, name=None):
    """The template to import with: the named one, else the module's only one (TPL-5)."""
    query = select(MapperTemplate).where(MapperTemplate.organization_id == org.id,
                                         MapperTemplate.module == module_name)
    if name:
        template = db.session.execute(query.where(MapperTemplate.name == name)).scalar()
        if template is None:
            raise MuaraError(f"unknown template for {module_label(module_name)} in {org.code}: {name}")
        return template
    templates = db.session.execute(query.order_by(MapperTemplate.id)).scalars().all()
    if not templates:
        raise MuaraError(f"{org.code} has no mapper template for {module_label(module_name)}: "
                         "create one (Templates) before importing.")
    if len(templates) > 1:
        names = ", ".join(t.name for t in templates)
        raise MuaraError(f"{org.code} has several templates for {module_label(module_name)} "
                         f"({names}): choose one.")
    return templates[0]


def export_template(template):
    """The template as a JSON document, to copy it or keep it in version control."""
    return json.dumps({
        "format": TEMPLATE_FORMAT, "name": template.name, "module": template.module,
        "file_format": template.file_format, "sheet": template.sheet,
        "header_row": template.header_row, "policy": str(template.policy),
        "fields": [{attr: getattr(line, attr) for attr in LINE_ATTRIBUTES}
                   for line in template.fields],
    }, indent=2, ensure_ascii=False) + "\n"


def import_template(org, text, name=None):
    """Create a template in `org` from an exported document; refuses a malformed one."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MuaraError(f"not a template file: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != TEMPLATE_FORMAT:
        raise MuaraError(f"not a template file (expected format {TEMPLATE_FORMAT})")
    module = MODULES.get(data.get("module"))
    if module is None:
        raise MuaraError(f"unknown module in template file: {data.get('module')}")
    name = name or data.get("name") or default_template_name(module.name)
    exists = select(MapperTemplate.id).where(MapperTemplate.organization_id == org.id,
                                             MapperTemplate.name == name)
    if db.session.execute(exists).first():
        raise MuaraError(f"{org.code} already has a template named {name}")
    known = {f.name for f in module.fields}
    template = MapperTemplate(organization=org, module=module.name, name=name,
                              file_format=data.get("file_format"), sheet=data.get("sheet"),
                              header_row=int(data.get("header_row") or 1),
                              policy=RejectionPolicy(data.get("policy") or "accept_valid"))
    for position, line in enumerate(data.get("fields") or []):
        if line.get("field") not in known:
            raise MuaraError(f"unknown field for {module.label}: {line.get('field')}")
        values = {attr: line.get(attr) for attr in LINE_ATTRIBUTES}
        values["required"] = bool(values["required"])
        values["trim"] = values["trim"] is not False
        template.fields.append(TemplateField(position=position, **values))
    db.session.add(template)
    db.session.flush()
    return template
