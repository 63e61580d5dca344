"""Before-images (issue 19): what a tabular import's records were before it wrote them,
kept in the same batch transaction, so the import can be undone exactly; and the check
only (dry run) that resolves the same natural keys and writes nothing.

Each tabular module declares here which table its records go to, the record fields of
its natural key (within the organization), the fields an update compares and the columns
its upsert sets (those an undo gives back). One row of `import_before_image` per record
the import touched: `before` is the JSON of those columns, NULL for a record it created.
"""
import datetime as dt
import enum
import json
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any, Callable, Optional

from sqlalchemy import Date, DateTime, Enum, Numeric, Table, delete, select, tuple_, update
from sqlalchemy.orm import Session

from app.importing import pg_copy
from app.models import (
    BalanceAdjustment,
    Customer,
    CustomerReturn,
    ImportBeforeImage,
    OpenInvoice,
    Product,
    StockEntry,
)
from app.models import consolidated as documents

# Keys looked up per query: well under SQLite's 32,766 bound parameters.
KEY_CHUNK = 5000


@dataclass(frozen=True)
class Imaged:
    table: Table
    keys: tuple            # record fields of the natural key (the organization aside)
    compared: tuple        # record fields an update changes (check only)
    restored: tuple        # columns the upsert sets, given back by an undo
    children: tuple = ()   # tables whose rows belong to the record (removed with it)
    noun: str = "records"  # how the records are named to people
    # A consolidated document's lines (table and its key to the document): an image
    # keeps them whole, an undo puts them back (with their ids).
    lines: Optional[Table] = None
    parent: str = ""
    # A customer return: its image is its whole tree (the return, its details,
    # sub-details and texts), put back whole by an undo (return_trees).
    tree: bool = False


IMAGED = {
    "customers": Imaged(Customer.__table__, ("code",), ("name", "source_id"),
                        ("name", "source_id"), noun="customers"),
    "products": Imaged(Product.__table__, ("code",), ("name", "unit"), ("name", "unit"),
                       noun="products"),
    "open_invoices": Imaged(
        OpenInvoice.__table__, ("reference",),
        ("customer_id", "invoice_date", "balance", "customer_po", "location_id"),
        ("customer_id", "invoice_date", "balance", "customer_po", "location_id", "carrier",
         "import_id", "principal_id"), children=("invoice_charge",), noun="open invoices"),
    "open_credits": Imaged(
        BalanceAdjustment.__table__, ("customer_id", "reference"), ("credit_date", "amount"),
        ("credit_date", "amount", "import_id", "principal_id"), noun="open credits"),
    "inventory_boxes": Imaged(
        StockEntry.__table__, ("product_id", "location_id", "entry_date"),
        ("boxes", "units_per_box"),
        ("boxes", "units_per_box", "quantity", "import_id", "principal_id"),
        noun="inventory boxes"),
}


def _document(model, line_model, parent, date, references, noun) -> Imaged:
    """A consolidated document (staged modules, seed 000): its header's columns that the
    consolidation sets, and its lines."""
    restored = ("principal_id", "file_id", "consolidated_at", date, "line_count", "total",
                *references)
    return Imaged(model.__table__, ("number",), (date, "line_count", "total", *references),
                  restored, children=(line_model.__tablename__,), noun=noun,
                  lines=line_model.__table__, parent=parent)


# Staged modules: the records their consolidation writes (app.importing.consolidation).
IMAGED.update({
    "sales_orders": _document(documents.SalesOrder, documents.SalesOrderLine, "order_id",
                              "order_date", ("customer_id", "location_id"), "sales orders"),
    "sales_invoices": _document(documents.SalesInvoice, documents.SalesInvoiceLine,
                                "invoice_id", "invoice_date", ("customer_id", "location_id"),
                                "sales invoices"),
    "purchase_invoices": _document(documents.PurchaseInvoice, documents.PurchaseInvoiceLine,
                                   "invoice_id", "invoice_date", ("supplier_id",),
                                   "purchase invoices"),
    "daily_visits": Imaged(
        documents.DailyVisit.__table__, ("visit_date", "salesperson", "customer_id",
                                         "check_in"), ("principal_id", "check_out", "notes"),
        ("principal_id", "file_id", "consolidated_at", "check_out", "notes"),
        noun="daily visits"),
})


# The tables of a customer return's tree that name their return (return_id), in the
# order they are inserted; the texts of its text assignments hang on those.
RETURN_TREE = ("customer_return_detail", "customer_return_sub_detail", "return_info_text",
               "return_text_assignment")
ASSIGNMENT_TEXT = "return_text_assignment_text"
IMAGED["customer_returns"] = Imaged(
    CustomerReturn.__table__, ("type_id", "number"), (), (),
    children=(*RETURN_TREE, ASSIGNMENT_TEXT), noun="customer returns", tree=True)


def imaged(module_name: str) -> Optional[Imaged]:
    return IMAGED.get(module_name)


def key_getter(spec: Imaged, layout: dict) -> Callable:
    getter = itemgetter(*(layout[k] for k in spec.keys))
    return (lambda record: (getter(record),)) if len(spec.keys) == 1 else getter


def existing_rows(session: Session, spec: Imaged, org_id: int, keys: list,
                  columns: tuple) -> dict:
    """Natural key -> the row (id and `columns`) of the organization's records with
    these keys, looked up in chunks on the natural-key index."""
    table = spec.table
    key_columns = [table.c[k] for k in spec.keys]
    query = select(*key_columns, table.c.id, *(table.c[c] for c in columns))
    found = {}
    width = len(spec.keys)
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start:start + KEY_CHUNK]
        where = (key_columns[0].in_([k[0] for k in chunk]) if width == 1
                 else tuple_(*key_columns).in_(chunk))
        for row in session.execute(query.where(table.c.organization_id == org_id, where)):
            found[tuple(row[:width])] = row[width:]
    return found


def _jsonable(value):
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(spec: Imaged, text: str) -> dict:
    """A before-image's values as the table's column types take them (the image is a
    JSON object, or a JSON array in the order of `spec.restored`)."""
    before = json.loads(text, parse_float=Decimal)
    if isinstance(before, list):
        before = dict(zip(spec.restored, before, strict=True))
    before.pop("lines", None)  # a document's lines: lines_from_json
    return _typed(spec.table, before)


def _typed(table: Table, before: dict) -> dict:
    values = {}
    for name, value in before.items():
        kind = table.c[name].type
        if value is not None:
            if isinstance(kind, DateTime):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(kind, Date):
                value = dt.date.fromisoformat(value)
            elif isinstance(kind, Numeric):
                value = Decimal(str(value))
            elif isinstance(kind, Enum) and kind.enum_class is not None:
                value = kind.enum_class[value]
        values[name] = value
    return values


def write_images(session: Session, rows: list) -> None:
    """Insert before-images; a record already imaged by this import keeps its first image
    (a re-run after a crash must not take the first run's values for the old ones)."""
    if not rows:
        return
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {ImportBeforeImage.__tablename__} "
        f"(import_id, table_name, record_id, before) VALUES ({marker}, {marker}, {marker}, "
        f"{marker}) ON CONFLICT DO NOTHING", rows)


def imaging(write: Callable, spec: Imaged, import_id: int, org_id: int) -> Callable:
    """`write` (a module's batch writer) that first keeps the before-images of the records
    it updates, then notes the ones it created, in the batch's transaction."""
    table_name = spec.table.name

    def write_with_images(session, origin, records, layout):
        key_of = key_getter(spec, layout)
        keys = [key_of(record) for record in records]
        connection = session.connection()
        dialect = connection.dialect.name
        if dialect == "sqlite":
            _sqlite_images(session, spec, import_id, org_id, keys,
                           lambda: write(session, origin, records, layout))
            return
        if dialect == "postgresql":
            pg_copy.images_around(connection, spec.table, import_id, org_id, spec.keys, keys,
                                  spec.restored, lambda: write(session, origin, records, layout))
            return
        before = existing_rows(session, spec, org_id, keys, spec.restored)
        images = [(import_id, table_name, row[0], json.dumps(list(map(_jsonable, row[1:]))))
                  for row in before.values()]
        write(session, origin, records, layout)
        created = [key for key in keys if key not in before]
        if created:
            images.extend((import_id, table_name, row[0], None)
                          for row in existing_rows(session, spec, org_id, created, ()).values())
        write_images(session, images)

    return write_with_images


def consolidation_images(session: Session, spec: Imaged, import_id: int, org_id: int,
                         keys: list, write: Callable) -> dict:
    """`write()` (a chunk of a consolidation's upsert) with the before-images of the
    records it gave to this file: NULL for those it created, the earlier values (and
    lines) for those it updated; a record a later file owns is not touched, not imaged.
    Returns natural key -> id of the records this file owns now."""
    before = existing_rows(session, spec, org_id, keys, spec.restored)
    write()
    owned = {key: row[0] for key, row in
             existing_rows(session, spec, org_id, keys, ("file_id",)).items()
             if row[1] == import_id}
    updated = {key: before[key] for key in owned if key in before}
    lines = lines_of(session, spec, [row[0] for row in updated.values()])
    images = []
    for key, record_id in owned.items():
        old = updated.get(key)
        if old is None:
            images.append((import_id, spec.table.name, record_id, None))
            continue
        image = dict(zip(spec.restored, map(_jsonable, old[1:]), strict=True))
        if spec.lines is not None:
            image["lines"] = lines.get(record_id, [])
        images.append((import_id, spec.table.name, record_id, json.dumps(image)))
    write_images(session, images)
    return owned


def lines_of(session: Session, spec: Imaged, ids: list) -> dict:
    """document id -> its lines, each a JSON-ready list of the line table's columns."""
    found = {}
    if spec.lines is None or not ids:
        return found
    table, parent = spec.lines, spec.lines.c[spec.parent]
    for start in range(0, len(ids), KEY_CHUNK):
        for row in session.execute(select(table).where(parent.in_(ids[start:start + KEY_CHUNK]))
                                   .order_by(table.c.id)):
            found.setdefault(row._mapping[spec.parent], []).append(list(map(_jsonable, row)))
    return found


def lines_from_json(spec: Imaged, lines: list) -> list:
    """An image's lines as rows of the line table (the column types' values)."""
    names = [c.name for c in spec.lines.columns]
    return [_typed(spec.lines, dict(zip(names, line, strict=True))) for line in lines]


def _tree_tables():
    tables = CustomerReturn.metadata.tables
    return [tables[name] for name in RETURN_TREE], tables[ASSIGNMENT_TEXT]


def keep_return_image(session: Session, import_id: int, return_id: int,
                      created: bool = False) -> None:
    """The before-image of a customer return the import is about to change (its whole
    tree), or NULL for one it created; a return already imaged by this import keeps its
    first image."""
    if created:
        write_images(session, [(import_id, CustomerReturn.__tablename__, return_id, None)])
        return
    write_images(session, [(import_id, CustomerReturn.__tablename__, return_id,
                            json.dumps(return_tree(session, return_id)))])


def return_tree(session: Session, return_id: int) -> dict:
    """A stored return's whole tree: table name -> its rows (JSON-ready dicts)."""
    parts, texts = _tree_tables()
    returns = CustomerReturn.__table__

    def rows(query):
        return [{k: _jsonable(v) for k, v in row._mapping.items()}
                for row in session.execute(query)]
    tree = {returns.name: rows(select(returns).where(returns.c.id == return_id))}
    for table in parts:
        tree[table.name] = rows(select(table).where(table.c.return_id == return_id)
                                .order_by(table.c.id))
    assignments = parts[-1]
    tree[texts.name] = rows(select(texts).where(texts.c.assignment_id.in_(
        select(assignments.c.id).where(assignments.c.return_id == return_id)))
        .order_by(texts.c.id))
    return tree


# What identifies rows rather than says what they hold: a return whose tree differs only
# in these is unchanged (a check only).
_IDENTITY = {"id", "import_id", "created_import_id", "return_id", "detail_id",
             "sub_detail_id", "assignment_id"}


def same_tree(before: dict, after: dict) -> bool:
    def content(tree):
        return {name: [{k: v for k, v in row.items() if k not in _IDENTITY} for row in rows]
                for name, rows in tree.items()}
    return content(before) == content(after)


def remove_return_trees(session: Session, ids: list) -> None:
    """The details, sub-details and texts of these returns removed (children first)."""
    parts, texts = _tree_tables()
    connection = session.connection()
    assignments = parts[-1]
    connection.execute(delete(texts).where(texts.c.assignment_id.in_(
        select(assignments.c.id).where(assignments.c.return_id.in_(ids)))))
    for table in reversed(parts):
        connection.execute(delete(table).where(table.c.return_id.in_(ids)))


def restore_return_trees(session: Session, restored: list) -> None:
    """Each return (id, image) put back whole: its row's values, and its tree as the
    image has it (rows inserted again with their ids)."""
    parts, texts = _tree_tables()
    returns = CustomerReturn.__table__
    connection = session.connection()
    remove_return_trees(session, [record_id for record_id, _ in restored])
    trees = [json.loads(before, parse_float=Decimal) for _, before in restored]
    for (record_id, _), tree in zip(restored, trees, strict=True):
        (row,) = tree[returns.name]
        values = _typed(returns, {k: v for k, v in row.items() if k != "id"})
        connection.execute(update(returns).where(returns.c.id == record_id).values(values))
    for table in (*parts, texts):
        rows = [_typed(table, row) for tree in trees for row in tree[table.name]]
        if rows:
            connection.execute(table.insert(), rows)


def sqlite_batch_filter(key_columns: tuple, keys: list) -> tuple:
    """(SQL condition, its one parameter): the record's natural key is one of `keys`,
    given to SQLite as one JSON array (no statement with thousands of parameters)."""
    quoted = [f'"{k}"' for k in key_columns]
    if len(key_columns) == 1:
        return (f"{quoted[0]} IN (SELECT value FROM json_each(?))",
                json.dumps([key[0] for key in keys], default=_jsonable))
    parts = ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(key_columns)))
    return (f"({', '.join(quoted)}) IN (SELECT {parts} FROM json_each(?))",
            json.dumps(keys, default=_jsonable))


def _sqlite_images(session, spec, import_id, org_id, keys, write):
    """The same in two statements, without a Python step per record: the images of the
    batch's existing records (json_array of their columns) before the write, then a NULL
    image for every batch record that has none yet (those the write created)."""
    table = spec.table.name
    batch, keys_json = sqlite_batch_filter(spec.keys, keys)
    values = ", ".join(f'"{c}"' for c in spec.restored)
    insert = (f"INSERT INTO {ImportBeforeImage.__tablename__} "
              "(import_id, table_name, record_id, before) SELECT ?, ?, id, {image} "
              f'FROM "{table}" WHERE organization_id = ? AND {batch} ON CONFLICT DO NOTHING')
    connection = session.connection()
    parameters = (import_id, table, org_id, keys_json)
    connection.exec_driver_sql(insert.format(image=f"json_array({values})"), parameters)
    write()
    connection.exec_driver_sql(insert.format(image="NULL"), parameters)


class CheckCounts:
    """What an import would do with the valid records (check only): create, update or
    leave unchanged, each record's natural key resolved against the database."""

    def __init__(self, spec: Imaged, org_id: int):
        self.spec, self.org_id = spec, org_id
        self.would_create = self.would_update = self.unchanged = 0

    def count(self, session: Session, records: list, layout: dict) -> None:
        spec = self.spec
        key_of = key_getter(spec, layout)
        compared = itemgetter(*(layout[f] for f in spec.compared))
        keys = [key_of(record) for record in records]
        found = existing_rows(session, spec, self.org_id, keys, spec.compared)
        for key, record in zip(keys, records, strict=True):
            row = found.get(key)
            if row is None:
                self.would_create += 1
                continue
            new = compared(record)
            new = new if isinstance(new, tuple) else (new,)
            if all(same_value(a, b) for a, b in zip(new, row[1:], strict=True)):
                self.unchanged += 1
            else:
                self.would_update += 1

    def result(self) -> dict:
        return {"would_create": self.would_create, "would_update": self.would_update,
                "unchanged": self.unchanged}


def same_value(new: Any, old: Any) -> bool:
    if isinstance(new, Decimal) or isinstance(old, Decimal):
        try:
            return new is not None and old is not None and Decimal(new) == Decimal(old)
        except (ArithmeticError, ValueError, TypeError):
            return False
    return new == old
