"""Spreadsheet and CSV files read through a mapper template: opening the file with its
template (format checks, the row validator), and the runner of tabular modules, whose
records are upserted batch by batch (IMP-6). Staged modules open their files here too
(app.importing.staging)."""
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.importing.balances import AFFECTS_BALANCES, keeping_balances
from app.importing.batches import Batch, Settings
from app.importing.before_images import CheckCounts, imaged, imaging
from app.importing.detection import detect_format
from app.importing.faults import FileRejected
from app.importing.file_warnings import file_warnings, text_field_columns
from app.importing.modules import Module, module_label
from app.importing.natural_keys import NaturalKeys
from app.importing.safe_read import open_guarded
from app.importing.sheets import sheet_argument
from app.importing.validation import LineSpec, RowValidator, TemplateSpec
from app.importing.writers import WRITERS, Origin
from app.models import (
    Connection,
    Customer,
    ImportFile,
    Location,
    MapperTemplate,
    Organization,
    Product,
)
from app.models.imports import ImportStatus
from app.models.tasks import utcnow
from app.models.templates import RejectionPolicy

LOOKUP_MODELS = {"customer": Customer, "location": Location, "product": Product}


def template_spec(template: MapperTemplate) -> TemplateSpec:
    return TemplateSpec(
        module=template.module, name=template.name,
        sheet=template.sheet or None, header_row=template.header_row or 1,
        file_format=template.file_format or None,
        all_or_nothing=template.policy == RejectionPolicy.all_or_nothing,
        lines=[LineSpec(field=line.field, source_column=line.source_column,
                        required=line.required, default_value=line.default_value,
                        source_kind=line.source_kind,
                        trim=line.trim, case=line.case, date_formats=line.date_formats,
                        decimal_separator=line.decimal_separator,
                        thousands_separator=line.thousands_separator,
                        value_map=line.value_map)
               for line in template.fields])


def load_lookups(session: Session, org_id: int, module: Module) -> dict:
    lookups = {}
    for fld in module.fields:
        if fld.lookup == "principal":
            lookups["principal"] = connected_principals(session, org_id)
        elif fld.lookup and fld.lookup not in lookups:
            model = LOOKUP_MODELS[fld.lookup]
            lookups[fld.lookup] = dict(session.execute(
                select(model.code, model.id).where(model.organization_id == org_id)).all())
    return lookups


def connected_principals(session: Session, org_id: int) -> dict:
    """Code -> id of the principals the distributor has an active connection with."""
    return dict(session.execute(
        select(Organization.code, Organization.id)
        .join(Connection, Connection.principal_id == Organization.id)
        .where(Connection.distributor_id == org_id, Connection.active.is_(True))).all())


@dataclass
class OpenedFile:
    """A file opened with its template: the rows to read and their validator."""
    table: object
    validator: RowValidator
    spec: TemplateSpec


def open_with_template(session: Session, imp: ImportFile, module: Module, path: str,
                       settings: Settings) -> OpenedFile:
    """Check the file against its template and open it; FileRejected says why not."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    fmt = detect_format(head, imp.filename)
    if fmt == "xml":
        raise FileRejected("wrong_format", f"{module_label(imp.module)} is imported from a "
                                           "spreadsheet or CSV file, not XML.")
    template = session.get(MapperTemplate, imp.template_id) if imp.template_id else None
    if template is not None and template.file_format and template.file_format != fmt:
        raise FileRejected("wrong_format", f"The template {template.name} reads "
                                           f"{template.file_format.upper()} files; this file is "
                                           f"{fmt.upper()}.")
    if template is None:
        raise FileRejected("no_template", f"No mapper template for {module.label}: "
                                          "create one before importing.")
    spec = template_spec(template)
    if imp.sheet:  # a sheet of a template set's workbook (issue 19.5)
        spec.sheet = imp.sheet
    table = open_guarded(path, fmt, sheet=sheet_argument(spec.sheet), header_row=spec.header_row,
                         max_unpacked_bytes=settings.max_unpacked_bytes,
                         encoding=template.encoding or None)
    org = session.get(Organization, imp.organization_id)
    imp.rows_total = _estimate_rows(path, table)
    # A document's header and line fields are checked per document (staging).
    deferred = module.header_fields + module.line_fields if module.has_lines else ()
    validator = RowValidator(module, spec, table.header, load_lookups(session, org.id, module),
                             org.multi_location, expected_rows=imp.rows_total,
                             optional_fields=deferred)
    imp.header_json = json.dumps(table.header)
    table.show_as_text(text_field_columns(validator))
    imp.read_as_json = json.dumps(table.read_as())
    imp.warnings_json = json.dumps(file_warnings(table, module, spec.lines))
    session.commit()
    return OpenedFile(table, validator, spec)


def _estimate_rows(path, table):
    if table.last_row is not None:
        return max(table.last_row - table.header_row, 0)
    return max(count_lines(path) - table.header_row, 0)


def count_lines(path: str) -> int:
    """The lines of a text file: its line ends, plus a last line that has none (a file
    ending in a line end has no empty line after it: 300,000 rows and a header are
    300,001 lines, not 300,002)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def all_or_nothing_message(imp: ImportFile, done: str) -> str:
    """Why an all-or-nothing file kept none of its valid rows (IMP-9)."""
    return (f"All or nothing: {imp.accepted} valid "
            f"{'row was' if imp.accepted == 1 else 'rows were'} not {done} because "
            f"{imp.rejected} {'was' if imp.rejected == 1 else 'were'} rejected.")


def import_tabular(session: Session, imp: ImportFile, module: Module, path: str,
                   settings: Settings) -> None:
    """The runner of tabular modules: every valid row upserted, batch by batch, with the
    before-image of every record it touches (undo); a check only writes nothing."""
    opened = open_with_template(session, imp, module, path, settings)
    validator = opened.validator
    if imp.dry_run:
        _check_only(session, imp, module, opened, settings)
        return
    if opened.spec.all_or_nothing:
        _read_all(session, imp, opened, Batch(session, imp, settings,
                                              keys=NaturalKeys.of(validator)))
        if imp.rejected:
            imp.status = ImportStatus.needs_attention
            imp.error_message = all_or_nothing_message(imp, "written")
            imp.finished_at = utcnow()
            session.commit()
            return
        validator.seen.clear()
        imp.rows_done = imp.accepted = 0
        session.commit()
    origin, layout = Origin.of(imp), validator.layout
    write = imaging(WRITERS[module.name], imaged(module.name), imp.id, imp.organization_id)
    if module.name in AFFECTS_BALANCES:
        write = keeping_balances(write, module.name, imaged(module.name), imp.organization_id)
    _read_all(session, imp, opened, Batch(
        session, imp, settings, write=lambda s, records: write(s, origin, records, layout),
        keep_rejections=not opened.spec.all_or_nothing, keys=NaturalKeys.of(validator)))
    validator.seen.clear()
    imp.status = ImportStatus.needs_attention if imp.rejected else ImportStatus.archived
    imp.finished_at = utcnow()
    session.commit()


def _check_only(session, imp, module, opened, settings):
    """Every row read and validated, every natural key resolved against the database,
    the rejections logged as an import logs them; no record, balance or staged row
    written. check_json: what an import would do."""
    counts = CheckCounts(imaged(module.name), imp.organization_id)
    layout = opened.validator.layout
    _read_all(session, imp, opened, Batch(
        session, imp, settings, write=lambda s, records: counts.count(s, records, layout)))
    opened.validator.seen.clear()
    result = counts.result()
    if opened.spec.all_or_nothing and imp.rejected:
        imp.error_message = (f"All or nothing: an import would write none of the "
                             f"{imp.accepted} valid rows because {imp.rejected} "
                             f"{'was' if imp.rejected == 1 else 'were'} rejected.")
        result = dict.fromkeys(result, 0)
    imp.check_json = json.dumps(result)
    imp.status = ImportStatus.checked
    imp.finished_at = utcnow()
    session.commit()


def _read_all(session, imp, opened, batch):
    """Every row validated into `batch`, committed every batch_size rows."""
    # Bound once: this loop runs per row of files of a million rows.
    validate, accept, reject = opened.validator.validate, batch.accept, batch.reject_row
    size = batch.settings.batch_size
    for number, values in opened.table.rows():
        record, problems = validate(number, values)
        if record is None:
            reject(problems, values)
        else:
            accept(record)
        if batch.rows >= size:
            batch.commit()
    batch.commit()
