"""A chunk of a staged file's documents consolidated in SQL on SQLite (issue 15), without
a Python step per line or per document. It writes what the per-record path of
app.importing.consolidation writes (the same values, the same ids, the same images),
which stays the reference: on PostgreSQL, for check only, and to name a chunk's faults
(a code deleted since staging, a document without its header).

The chunk goes through two temporary tables, each filled by one INSERT ... SELECT:
`rows` (the staged rows' JSON taken apart once, products resolved, numbers also in
thousandths) and `documents` (one per document: its header row, its first and last line,
their count and total, then the id it has in the header table). The header table, the
before-images and the lines are then written from them by one statement each. No window
function and no sort of the staged rows where it can be helped: SQLite spends more on
those than on the rest (rowids in file order number the lines instead).

File order is the staged rows' ids within a document: staging inserts a file's rows in
their order, and a re-run stages the file again whole (staging.stage_file), so it is the
per-record path's (row, id) order, read here from the (import_id, document) index.

Amounts are exact as Python's Decimal makes them: quantity and price in thousandths as
integers, their product rounded half to even to thousandths, in SQL while the numbers
fit in 64 bits with room; larger ones go through line_amount, registered with SQLite.
"""
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from app.importing.before_images import Imaged
from app.models import ImportBeforeImage
from app.models.organizations import OrgKind

AMOUNT_FUNCTION = "muara_line_amount"
REAL_FUNCTION = "muara_thousandths_real"
# Thousandths below this (2^53) are exact in a double, so n / 1000.0 is the double
# nearest to the decimal, as float(Decimal) gives it; larger ones go through
# thousandths_real.
EXACT_DOUBLE = "9007199254740992"
# Numbers under 10^12 in thousandths: exact as doubles (under 2^53 with room).
EXACT_BOUND = "1e15"
# Products of thousandths (millionths) below this are multiplied as SQL integers
# (64 bits hold 9.2e18).
PRODUCT_BOUND = "9e18"
CENT = Decimal("0.001")
IMAGES = ImportBeforeImage.__tablename__


def line_amount(quantity: str, price: str) -> int:
    """A line's amount in thousandths, as the per-record path rounds it."""
    return int((Decimal(quantity) * Decimal(price)).quantize(CENT).scaleb(3))


def thousandths_real(thousandths: int) -> float:
    """An amount as the per-record path stores it: float(Decimal)."""
    return float(Decimal(thousandths).scaleb(-3))


def prepare(connection: Connection) -> None:
    """line_amount and thousandths_real registered with this SQLite connection (once per
    file: cheap)."""
    driver = connection.connection.driver_connection
    driver.create_function(AMOUNT_FUNCTION, 2, line_amount, deterministic=True)
    driver.create_function(REAL_FUNCTION, 1, thousandths_real, deterministic=True)


def _lookup(kind: str, code: str) -> str:
    if kind == "principal":
        return (f"(SELECT id FROM organization WHERE kind = '{OrgKind.principal.name}' "
                f"AND code = {code})")
    return f"(SELECT id FROM {kind} WHERE organization_id = :org AND code = {code})"


def _temp(target, name: str) -> str:
    return f"temp.consolidating_{target.header.name}_{name}"


def _create_tables(connection, target) -> None:
    references = "".join(f"{f} TEXT, " for f, _ in target.references)
    for name, columns in (
            ("rows", f"document TEXT, date TEXT, {references}product TEXT, "
                     "product_id INTEGER, quantity TEXT, price TEXT, q INTEGER, p INTEGER"),
            ("documents", "document TEXT PRIMARY KEY, head INTEGER, first_line INTEGER, "
                          "last_line INTEGER, line_count INTEGER, total INTEGER, "
                          "header_id INTEGER")):
        table = _temp(target, name).split(".")[1]
        connection.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({columns})")
        connection.exec_driver_sql(f"DELETE FROM temp.{table}")


def _read_rows(connection, target, parameters) -> None:
    """The chunk's staged rows, in file order (the rowid): the header's fields (their
    codes are resolved once per document, _write_headers), the product and its id,
    quantity and price as text and in thousandths (q, p: exact under 10^12, _exact).
    One plain SELECT in the index's order: SQLite spends more on a sort or on a
    materialized subquery than on a JSON field taken out twice."""
    field = "data ->> '$.{}'".format
    codes = "".join(f", {field(f)}" for f, _ in target.references)
    thousandths = "CAST(round(CAST({} AS REAL) * 1000) AS INTEGER)".format
    quantity, price = field("quantity"), field(target.price)
    connection.exec_driver_sql(
        f"INSERT INTO {_temp(target, 'rows')} SELECT document, {field(target.date)}{codes}, "
        f"{field('product')}, {_lookup('product', field('product'))}, {quantity}, {price}, "
        f"{thousandths(quantity)}, {thousandths(price)} FROM staged_row "
        "WHERE import_id = :import AND document BETWEEN :first AND :last "
        "ORDER BY document, id", parameters)


def _exact(thousandths: str) -> str:
    """Whether a number's thousandths are exact: a double holds the decimal (at most 3
    decimals) closely enough under 10^12."""
    return f"abs({thousandths}) < {EXACT_BOUND}"


def _half_even_thousandths(micro: str) -> str:
    """millionths -> thousandths, rounded half to even (Decimal's quantize): rounded half
    away from zero by SQLite's integer division (it truncates), then a tie whose result
    is odd goes back one toward zero (r % 2 has r's sign)."""
    half = f"(CASE WHEN {micro} < 0 THEN -500 ELSE 500 END)"
    rounded = f"(({micro} + {half}) / 1000)"
    return f"({rounded} - ({micro} % 1000 = {half}) * ({rounded} % 2))"


def _amount(as_real: bool = False) -> str:
    """A line's amount in thousandths (the rows table's columns), or as stored: in SQL
    integers while the product of the thousandths fits in 64 bits (the amount is then
    below 2^53 thousandths), else by line_amount."""
    fallback = f"{AMOUNT_FUNCTION}(quantity, price)"
    fast = _half_even_thousandths("q * p")
    if as_real:
        fallback, fast = f"{REAL_FUNCTION}({fallback})", f"{fast} / 1000.0"
    return (f"CASE WHEN {_exact('q')} AND {_exact('p')} AND abs(q * 1.0 * p) < "
            f"{PRODUCT_BOUND} THEN {fast} ELSE {fallback} END")


def _stored(text: str, thousandths: str) -> str:
    """A quantity or price as the per-record path stores it, float(Decimal(text)): the
    double nearest to exact thousandths."""
    return (f"CASE WHEN {_exact(thousandths)} THEN {thousandths} / 1000.0 "
            f"ELSE CAST({text} AS REAL) END")


def _read_documents(connection, target) -> None:
    """Each document: its header row (any row giving the date: staging rejects a
    document whose rows give different header values), its first and last line, their
    count and total."""
    line = "CASE WHEN product IS NOT NULL THEN {} END"
    connection.exec_driver_sql(
        f"INSERT INTO {_temp(target, 'documents')} (document, head, first_line, last_line, "
        "line_count, total) SELECT document, min(CASE WHEN date IS NOT NULL THEN rowid END), "
        f"min({line.format('rowid')}), max({line.format('rowid')}), count(product), "
        f"coalesce(sum({line.format(_amount())}), 0) FROM {_temp(target, 'rows')} "
        "GROUP BY document")


def _has_faults(connection, target, parameters) -> bool:
    """Whether the chunk names a code its master data no longer has, or has a document
    without a header row: the per-record path then says which (and fails the file)."""
    documents, rows = _temp(target, "documents"), _temp(target, "rows")
    checks = [f"SELECT 1 FROM {rows} WHERE product IS NOT NULL AND product_id IS NULL",
              f"SELECT 1 FROM {documents} WHERE head IS NULL"]
    checks += [f"SELECT 1 FROM {documents} d JOIN {rows} h ON h.rowid = d.head "
               f"WHERE h.{field} IS NOT NULL AND {_lookup(kind, 'h.' + field)} IS NULL"
               for field, kind in target.references]
    return connection.exec_driver_sql(" UNION ALL ".join(checks) + " LIMIT 1",
                                      parameters).first() is not None


def _keep_images(connection, target, spec, parameters) -> None:
    """The before-image of each document of the chunk the file is about to update: its
    header's columns and its lines (as before_images.consolidation_images keeps them)."""
    header, lines = spec.table.name, spec.lines
    values = ", ".join(f"'{c}', h.\"{c}\"" for c in spec.restored)
    line_values = ", ".join(f'l."{c.name}"' for c in lines.columns)
    lines_json = (f"json((SELECT json_group_array(json_array({line_values})) FROM "
                  f'(SELECT * FROM "{lines.name}" WHERE "{spec.parent}" = h.id ORDER BY id) l))')
    connection.exec_driver_sql(
        f"INSERT INTO {IMAGES} (import_id, table_name, record_id, before) "
        f"SELECT :file, '{header}', h.id, json_object({values}, 'lines', {lines_json}) "
        # CROSS JOIN: from the chunk's documents to theirs (not the other way round).
        f'FROM {_temp(target, "documents")} d CROSS JOIN "{header}" h '
        "ON h.organization_id = :org AND h.number = d.document WHERE h.file_id <= :file "
        "ON CONFLICT DO NOTHING", parameters)


def _write_headers(connection, target, parameters) -> int:
    """The chunk's headers upserted (a document a later file wrote is not updated);
    returns how many this file wrote."""
    header = target.header.name
    references = [f"{field}_id" for field, _ in target.references]
    columns = ("organization_id", "principal_id", "file_id", "consolidated_at", "number",
               target.date, "line_count", "total", *references)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns
                        if c not in ("organization_id", "number"))
    return connection.exec_driver_sql(
        f'INSERT INTO "{header}" ({", ".join(columns)}) '
        "SELECT :org, :principal, :file, :now, d.document, h.date, d.line_count, "
        f"CASE WHEN abs(d.total) < {EXACT_DOUBLE} THEN d.total / 1000.0 "
        f"ELSE {REAL_FUNCTION}(d.total) END"
        + "".join(f", {_lookup(kind, 'h.' + field)}" for field, kind in target.references)
        + f" FROM {_temp(target, 'documents')} d JOIN {_temp(target, 'rows')} h "
        "ON h.rowid = d.head WHERE true ORDER BY d.document "
        "ON CONFLICT (organization_id, number) DO UPDATE SET "
        f'{updates} WHERE "{header}".file_id <= excluded.file_id', parameters).rowcount


def _note_owned(connection, target, parameters) -> None:
    """Each document's id when this file wrote it (a later file's are left alone), and
    a NULL image for those it created (those it updated have theirs)."""
    header, documents = target.header.name, _temp(target, "documents")
    connection.exec_driver_sql(
        f'UPDATE {documents} SET header_id = (SELECT id FROM "{header}" '
        "WHERE organization_id = :org AND number = document AND file_id = :file)",
        parameters)
    connection.exec_driver_sql(
        f"INSERT INTO {IMAGES} (import_id, table_name, record_id, before) "
        f"SELECT :file, '{header}', header_id, NULL FROM {documents} "
        "WHERE header_id IS NOT NULL ON CONFLICT DO NOTHING", parameters)


def _line_number(connection, target) -> str:
    """Lines are numbered from their document's first line by rowid when each document's
    lines are contiguous (a header-only row, if any, comes before them); otherwise by a
    window over the rowid (SQLite's window functions cost more than the rest)."""
    apart = connection.exec_driver_sql(
        f"SELECT 1 FROM {_temp(target, 'documents')} "
        "WHERE last_line - first_line + 1 <> line_count LIMIT 1").first()
    if apart:
        return "row_number() OVER (PARTITION BY l.document ORDER BY l.rowid)"
    return "l.rowid - d.first_line + 1"


def _write_lines(connection, target) -> None:
    """The lines of the documents this file wrote: theirs removed, the file's inserted
    in file order."""
    lines, documents = target.lines.name, _temp(target, "documents")
    connection.exec_driver_sql(
        f'DELETE FROM "{lines}" WHERE "{target.parent}" IN '
        f"(SELECT header_id FROM {documents} WHERE header_id IS NOT NULL)")
    connection.exec_driver_sql(
        f'INSERT INTO "{lines}" ("{target.parent}", line_no, product_id, quantity, '
        f'"{target.price}", amount) SELECT d.header_id, {_line_number(connection, target)}, '
        f"product_id, {_stored('quantity', 'q')}, {_stored('price', 'p')}, "
        f"{_amount(as_real=True)} FROM {_temp(target, 'rows')} l JOIN {documents} d "
        "ON d.document = l.document WHERE l.product IS NOT NULL AND d.header_id IS NOT NULL "
        "ORDER BY l.rowid")


def read_chunk(connection: Connection, target: Any, parameters: dict) -> bool:
    """The documents from :first to :last of the file :import read into the temporary
    tables; False when they have a fault (the per-record path names it)."""
    _create_tables(connection, target)
    _read_rows(connection, target, parameters)
    _read_documents(connection, target)
    return not _has_faults(connection, target, parameters)


def write_chunk(connection: Connection, target: Any, spec: Imaged, parameters: dict) -> int:
    """Consolidate the chunk read by read_chunk (written as :file of :org for :principal
    at :now); returns how many documents it wrote."""
    _keep_images(connection, target, spec, parameters)
    written = _write_headers(connection, target, parameters)
    _note_owned(connection, target, parameters)
    _write_lines(connection, target)
    return written


def release(connection: Connection, target: Any) -> None:
    """The temporary tables emptied (they stay, per connection, for the next file)."""
    for name in ("rows", "documents"):
        connection.exec_driver_sql(f"DELETE FROM {_temp(target, name)}")
