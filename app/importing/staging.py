"""Smart-Portal files into staging (seed 000): the rows are validated as any import's,
then wait in staged_row until they are consolidated (app.importing.consolidation).

Header and lines (SO-1): a file has one row per line; the lines of a document share its
number and are grouped by it wherever they are in the file. The header's fields (e.g.
Order Date, Customer Code) are given on the document's first row or repeated on every
line; a row that gives them but no line fields is the header alone. A document is
staged whole or rejected whole, every row with its reason:

- a row rejected for its own values (unknown product, bad date, ...): its reason; the
  other rows of its document: `document_rejected`, naming that row;
- rows giving header values that differ from an earlier row's: `header_mismatch`;
- no row of the document gives its header: `no_header` on each of its rows;
- no row of the document is a line (only a header): `no_lines`.

rows = accepted + rejected always, counting rows (lines), so the counts move as rows are
read and are corrected in the final pass that rejects whole documents.
"""
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.importing.batches import Batch, Settings, plain, rejection_rows
from app.importing.consolidation import check_counts
from app.importing.modules import Module
from app.importing.natural_keys import NaturalKeys
from app.importing.readers import Table
from app.importing.tabular import all_or_nothing_message, open_with_template
from app.importing.validation import Rejection, RowValidator
from app.importing.values import Invalid
from app.importing.writers import insert_rows
from app.models import ImportFile, StagedRow
from app.models.imports import ImportStatus
from app.models.tasks import utcnow

DOCUMENTS_PER_PASS = 500


@dataclass
class DocumentState:
    header: Optional[dict] = None  # the header's values, from the first row giving them
    header_row: Optional[int] = None
    has_line: bool = False
    bad_row: Optional[int] = None  # the first row rejected for its own values
    bad_reason: Optional[str] = None


def _plain(value):
    return str(value) if isinstance(value, Decimal) else plain(value)


def _stage_rows(session, rows):
    insert_rows(session, StagedRow.__table__, rows)


def import_staged(session: Session, imp: ImportFile, module: Module, path: str,
                  settings: Settings) -> None:
    """The runner of staged modules: the file's valid rows wait in staging."""
    opened = open_with_template(session, imp, module, path, settings)
    stage_file(session, imp, opened.table, opened.validator, module, settings)
    if imp.dry_run:
        _check_only(session, imp, opened.spec.all_or_nothing)
    else:
        finish_staging(session, imp, opened.spec.all_or_nothing)


def _check_only(session: Session, imp: ImportFile, all_or_nothing: bool) -> None:
    """Check only: the rows were validated and their documents grouped as an import does
    (in staging, where nothing consolidates a checked file), every document's number
    resolved against the consolidated tables; then its staged rows are removed with the
    result written, so nothing of the file stays and nothing was consolidated."""
    result = check_counts(session, imp)
    if all_or_nothing and imp.rejected:
        imp.error_message = (f"All or nothing: an import would stage none of the "
                             f"{imp.accepted} valid rows because {imp.rejected} "
                             f"{'was' if imp.rejected == 1 else 'were'} rejected.")
        result = dict.fromkeys(result, 0)
    session.execute(delete(StagedRow).where(StagedRow.import_id == imp.id))
    imp.check_json = json.dumps(result)
    imp.status = ImportStatus.checked
    imp.finished_at = utcnow()
    session.commit()


def stage_file(session: Session, imp: ImportFile, table: Table, validator: RowValidator,
               module: Module, settings: Settings) -> None:
    """Validate every row of `table` into staging; returns nothing, moves imp's counts."""
    session.execute(delete(StagedRow).where(StagedRow.import_id == imp.id))
    documents = {}
    check = _DocumentRules(module, validator) if module.has_lines else None
    # A check only resolves no earlier file's rejections.
    batch = Batch(session, imp, settings, write=_stage_rows,
                  keys=None if imp.dry_run else NaturalKeys.of(validator, staged=True))
    for number, values in table.rows():
        record, problems = validator.validate(number, values)
        if record is not None:
            record = validator.as_dict(record)
        if check is not None:
            document = record["number"] if record else check.document_of(values)
            state = documents.setdefault(document, DocumentState()) if document else None
            if record is not None:
                problems = check.row(number, record, state)
            if problems and state is not None and state.bad_row is None:
                state.bad_row, state.bad_reason = number, problems[0].reason
        else:
            document = "|".join(str(_plain(record[k])) for k in module.natural_key) \
                if record else None
        if problems:
            batch.reject(rejection_rows(imp, problems, values), values)
        else:
            batch.accept({"import_id": imp.id, "document": str(document)[:200], "row": number,
                          "data": json.dumps({f.name: _plain(record.get(f.name))
                                              for f in module.fields}),
                          "original": json.dumps([_plain(v) for v in values])})
        batch.commit_if_full()
    batch.commit()
    if check is not None:
        _reject_incomplete_documents(session, imp, module, documents, settings)


class _DocumentRules:
    """The per-row rules of header-and-lines documents."""

    def __init__(self, module, validator):
        self.module = module
        self.validator = validator
        self.number = validator.compiled(module.document[0])
        self.required = validator.deferred_required
        self.header = [validator.compiled(name) for name in module.header_fields
                       if validator.compiled(name)]
        self.lines = [validator.compiled(name) for name in module.line_fields
                      if validator.compiled(name)]

    def document_of(self, values):
        """The document number of a row that failed validation, when it has a valid one."""
        if self.number is None or self.number.index is None:
            return None
        try:
            return self.number.convert(values[self.number.index])
        except Invalid:
            return None

    def _missing(self, number, record, fields):
        return [Rejection(number, f.label, f.name, None, "required", f"{f.label} is required.")
                for f in fields if f.name in self.required and record.get(f.name) is None]

    def row(self, number, record, state):
        gives_header = any(record.get(f.name) is not None for f in self.header)
        is_line = any(record.get(f.name) is not None for f in self.lines) or not gives_header
        problems = []
        if gives_header:
            problems += self._missing(number, record, self.header)
        if is_line:
            problems += self._missing(number, record, self.lines)
        if problems:
            return problems
        if gives_header:
            values = {f.name: record.get(f.name) for f in self.header}
            if state.header is None:
                state.header, state.header_row = values, number
            else:
                for f in self.header:
                    if values[f.name] != state.header[f.name]:
                        return [Rejection(
                            number, f.label, f.name, _plain(values[f.name]), "header_mismatch",
                            f"{f.label} '{_plain(values[f.name])}' differs from "
                            f"'{_plain(state.header[f.name])}' on row {state.header_row} of "
                            f"the same document ({self.number.label} {record['number']}).")]
        if is_line:
            state.has_line = True
        return []


def _reject_incomplete_documents(session, imp, module, documents, settings):
    """The final pass: documents with a rejected row, no header or no lines are rejected
    whole; their staged rows leave staging with their reason."""
    label = module.field(module.document[0]).header
    header_labels = ", ".join(module.field(n).header for n in module.header_fields
                              if module.field(n).required is True)
    line_labels = ", ".join(module.field(n).header for n in module.line_fields
                            if module.field(n).required is True)
    verdicts = {}
    for document, state in documents.items():
        if state.bad_row is not None:
            verdicts[document] = (
                "document_rejected",
                f"{label} {document} is rejected whole: row {state.bad_row} of it was "
                f"rejected ({state.bad_reason}).")
        elif state.header is None:
            verdicts[document] = (
                "no_header", f"{label} {document} has no header: none of its rows gives "
                             f"{header_labels}.")
        elif not state.has_line:
            verdicts[document] = (
                "no_lines", f"{label} {document} has no lines: none of its rows gives "
                            f"{line_labels}.")
    names = list(verdicts)
    batch = Batch(session, imp, settings)
    for start in range(0, len(names), DOCUMENTS_PER_PASS):
        chunk = names[start:start + DOCUMENTS_PER_PASS]
        found = session.execute(
            select(StagedRow.id, StagedRow.document, StagedRow.row, StagedRow.original)
            .where(StagedRow.import_id == imp.id, StagedRow.document.in_(chunk))
            .order_by(StagedRow.row)).all()
        for _, document, row, original in found:
            reason, message = verdicts[document]
            batch.log(rejection_rows(
                imp, [Rejection(row, label, module.document[0], document, reason, message)],
                json.loads(original or "[]")))
        session.execute(delete(StagedRow).where(StagedRow.id.in_([r[0] for r in found])))
        batch.move(accepted=-len(found), rejected=len(found))
        batch.commit()


def finish_staging(session: Session, imp: ImportFile, all_or_nothing: bool) -> None:
    """The file waits for consolidation; all or nothing with a rejection stages nothing."""
    if all_or_nothing and imp.rejected:
        session.execute(delete(StagedRow).where(StagedRow.import_id == imp.id))
        imp.status = ImportStatus.needs_attention
        imp.error_message = all_or_nothing_message(imp, "staged")
        imp.finished_at = utcnow()
    else:
        imp.status = ImportStatus.imported
        imp.staged_at = utcnow()
    session.commit()
