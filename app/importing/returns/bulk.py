"""New returns of a batch, written set-wise (issue 15): a return the import creates (and
its details, sub-details and texts) is planned as plain rows here, not ORM objects, and
the whole batch's new rows are inserted table by table when the batch commits: one plain
INSERT (executemany; COPY on PostgreSQL) per table and batch, then the new ids of the
rows that others hang from read back by guid in one query, handed down to the children.

The rules are the planner's; only the writing differs. A return the import updates is
still written through the ORM as it is planned (its rules read the stored rows)."""
from typing import Any

from sqlalchemy import Enum, Numeric, select
from sqlalchemy.orm import Session

from app.importing.writers import insert_rows
from app.models import (
    CustomerReturn,
    CustomerReturnDetail,
    CustomerReturnSubDetail,
    ReturnInfoText,
    ReturnTextAssignment,
    ReturnTextAssignmentText,
)

KEYS_PER_QUERY = 5000  # well under SQLite's 32,766 bound parameters


class NewRow:
    """A row to insert: its values as attributes, its id once written."""

    def __init__(self, **values: Any):
        self.id = None
        self.__dict__.update(values)


class NewReturn(NewRow):
    def __init__(self, **values: Any):
        super().__init__(**values)
        self.details = []

    COLUMNS = ("organization_id", "guid", "type_id", "partner_id", "customer_id", "date",
               "status", "import_id", "principal_id", "number")


class NewDetail(NewRow):
    def __init__(self, **values: Any):
        super().__init__(**values)
        self.sub_details = []

    COLUMNS = ("guid", "number", "item_id", "quantity", "uom_id", "canceled", "status",
               "created_import_id")


class NewSubDetail(NewRow):
    COLUMNS = ("guid", "sub_number", "item_id", "quantity", "uom_id")


class NewInfoText(NewRow):
    COLUMNS = ("language", "text", "content_type")


class NewAssignment(NewRow):
    def __init__(self, **values: Any):
        super().__init__(**values)
        self.texts = []

    COLUMNS = ("number", "type", "code", "document")


class NewAssignmentText(NewRow):
    COLUMNS = ("language", "text", "content_type")


def _plain(session, table, values):
    """The rows' values as the driver takes them, in place: an enum by its name (as
    SQLAlchemy's Enum stores it); on SQLite a number as a float (as its Numeric does)."""
    enums = [c.name for c in table.c if isinstance(c.type, Enum)]
    numbers = [c.name for c in table.c if isinstance(c.type, Numeric)] \
        if session.connection().dialect.name == "sqlite" else []
    if not enums and not numbers:
        return
    for row in values:
        for name in enums:
            if row.get(name) is not None:
                row[name] = row[name].name
        for name in numbers:
            if row.get(name) is not None:
                row[name] = float(row[name])


def _values(row):
    return {name: getattr(row, name, None) for name in row.COLUMNS}


def _owner_ids(owner):
    ret, detail, sub = owner
    return {"return_id": ret.id, "detail_id": detail.id if detail is not None else None,
            "sub_detail_id": sub.id if sub is not None else None}


class NewReturns:
    """The batch's new returns with everything that hangs from them."""

    def __init__(self):
        self.returns, self.info_texts, self.assignments = [], [], []

    def __len__(self):
        return len(self.returns)

    def write(self, session: Session) -> None:
        """Insert the batch's new rows, parents first; the ids go to the children."""
        returns = self.returns
        if not returns:
            return
        _insert(session, CustomerReturn, returns, [_values(r) for r in returns])
        details = [(r, d) for r in returns for d in r.details]
        # A detail's id is read back only when something hangs from it.
        owners = {id(t.owner[1]) for t in self.info_texts + self.assignments}
        _insert(session, CustomerReturnDetail, [d for _, d in details],
                [dict(_values(d), return_id=r.id) for r, d in details],
                returning=any(d.sub_details or id(d) in owners for _, d in details))
        subs = [(r, d, s) for r, d in details for s in d.sub_details]
        _insert(session, CustomerReturnSubDetail, [s for _, _, s in subs],
                [dict(_values(s), return_id=r.id, detail_id=d.id) for r, d, s in subs])
        _insert(session, ReturnInfoText, self.info_texts,
                [dict(_values(t), **_owner_ids(t.owner)) for t in self.info_texts],
                returning=False)
        _insert(session, ReturnTextAssignment, self.assignments,
                [dict(_values(a), **_owner_ids(a.owner)) for a in self.assignments])
        texts = [dict(_values(t), assignment_id=a.id) for a in self.assignments
                 for t in a.texts]
        _insert(session, ReturnTextAssignmentText, texts, texts, returning=False)
        self.returns, self.info_texts, self.assignments = [], [], []


def _insert(session, model, rows, values, returning=True):
    """One plain INSERT of many rows (the driver's executemany; COPY on PostgreSQL); with
    `returning`, each row then gets its new id, read back by its unique key in one query
    (SQLAlchemy's INSERT ... RETURNING of many rows processed every row's parameters in
    Python: it cost more than the database's work)."""
    if not values:
        return
    table = model.__table__
    _with_defaults(table, values)
    _plain(session, table, values)
    insert_rows(session, table, values)
    if returning:
        _read_ids(session, table, rows, values)


def _with_defaults(table, values):
    """The columns' scalar defaults where the rows leave them out, as Core's insert()
    gives them (a plain INSERT does not)."""
    missing = [c for c in table.c if c.name not in values[0] and c.default is not None
               and c.default.is_scalar]
    for row in values:
        for column in missing:
            row[column.name] = column.default.arg


def _read_ids(session, table, rows, values):
    """Each row's new id, matched by its unique key: its guid (unique in the table), or an
    assignment's owner and number (all its return's assignments are new)."""
    if "guid" in table.c:
        keys, scope = ("guid",), table.c.guid
    else:
        keys, scope = ("return_id", "detail_id", "sub_detail_id", "number"), table.c.return_id
    ids = {}
    wanted = sorted({value[scope.name] for value in values})
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        found = session.execute(select(table.c.id, *(table.c[k] for k in keys))
                                .where(scope.in_(wanted[start:start + KEYS_PER_QUERY])))
        ids.update({tuple(row[1:]): row[0] for row in found})
    for row, value in zip(rows, values, strict=True):
        row.id = ids[tuple(value[k] for k in keys)]
