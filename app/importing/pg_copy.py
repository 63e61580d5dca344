"""PostgreSQL's writing of a batch (issue 15): COPY instead of statements per row, and
every lookup of a batch's natural keys done by the server on the natural-key index.

Chosen by dialect from the one upsert (app.importing.writers.upsert) and from the
before-images (app.importing.before_images.imaging); SQLite never comes here.

Where a 1,000,000-row import's server time went before (EXPLAIN ANALYZE, 20,000-row
batches): the before-images of created records, one INSERT per record (executemany);
the natural keys looked up in IN lists of 5,000 parameters, twice per batch; the
invoices' charges found by a hash join that read the whole open_invoice table once per
batch (so a batch cost more the more invoices there were). Now a batch is: one COPY into
a temporary staging table, one upsert from it in key order, and statements that probe
the natural-key index once per record (a LATERAL subquery, which the planner cannot
turn into a scan of the table).

What is left is the rows' own cost: of a 20,000-row COPY into open_invoice, about two
thirds of the server's CPU time is its five foreign-key checks (one trigger per key per
row) and a fifth its three list indexes (kept: they serve the list screens); COPY straight
into the table instead of the upsert from staging saved nothing measurable, so new and
existing keys take the same path.
"""
import functools
from typing import Callable, Iterable, Sequence

from sqlalchemy import Table
from sqlalchemy.engine import Connection

IMAGE_TABLE = "import_before_image"


def staged_batch(table_name: str) -> str:
    """The temporary table that holds upsert()'s last batch for `table_name` until the
    transaction ends."""
    return f"muara_staged_{table_name}"


def copy_rows(connection: Connection, table_name: str, columns: Sequence[str],
              rows: Iterable[tuple]) -> None:
    """COPY FROM STDIN of row tuples, in the connection's transaction."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def stage(connection: Connection, table_name: str, columns: Sequence[str],
          rows: Iterable[tuple]) -> str:
    """COPY `rows` into the connection's temporary staging table for `table_name` (made
    on first use with the table's column types, emptied at every commit)."""
    staged = staged_batch(table_name)
    # All the table's columns: writers of one table may give different ones (the import
    # of customers and the service pull of customers share the connection's table).
    connection.exec_driver_sql(
        f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staged}" ON COMMIT DELETE ROWS AS '
        f'SELECT * FROM "{table_name}" WITH NO DATA')
    connection.exec_driver_sql(f'DELETE FROM "{staged}"')  # a second batch in one transaction
    copy_rows(connection, staged, columns, rows)
    return staged


def upsert(connection: Connection, table_name: str, columns: tuple, rows: Iterable[tuple],
           keys: tuple, updates: tuple, only_if: str | None = None) -> None:
    """The rows COPYed into staging, then upserted from it in one statement, in the keys'
    order (no deadlock between batches that share records). The staged rows then hold
    the ids of the records written (NULL: an existing record that `only_if` kept), so
    what follows in the batch (the invoices' charges, the before-images of created
    records) reads them there instead of looking each key up again."""
    staged = stage(connection, table_name, columns, rows)
    updated = connection.exec_driver_sql(
        _upsert_sql(table_name, staged, columns, keys, updates, only_if)).scalar()
    connection.info.setdefault("muara_updated", {})[table_name] = updated


@functools.lru_cache(maxsize=64)
def _upsert_sql(table, staged, columns, keys, updates, only_if=None):
    quoted = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(f'"{k}"' for k in keys)
    assignments = ", ".join(f'"{c}" = excluded."{c}"' for c in updates)
    returned = ", ".join(f'"{k}"' for k in keys)
    match = " AND ".join(f'batch."{k}" = written."{k}"' for k in keys)
    # The batch is small (a hash join of the batch with the rows returned), the table
    # is not read again.
    # `xmax = 0` in RETURNING: a row the statement inserted (an updated one carries the
    # statement's transaction as its locker); the statement answers how many it updated.
    return (f'WITH written AS (INSERT INTO "{table}" ({quoted}) SELECT {quoted} '
            f'FROM "{staged}" ORDER BY {order} ON CONFLICT ({order}) DO UPDATE SET '
            f"{assignments}" + (f" WHERE {only_if}" if only_if else "")
            + f" RETURNING id, {returned}, xmax = 0 AS inserted), "
            f'marked AS (UPDATE "{staged}" AS batch SET id = written.id FROM written '
            f"WHERE {match} RETURNING written.inserted) "
            "SELECT count(*) FILTER (WHERE NOT inserted) FROM marked")


def updated_count(connection: Connection, table_name: str) -> int:
    """How many existing records upsert()'s last batch for `table_name` on this
    connection updated (the others it created)."""
    return connection.info["muara_updated"].pop(table_name)


def written_ids(table_name: str) -> str:
    """SQL (FROM clause): upsert()'s last batch for `table_name` as `batch`, its rows with
    the ids of the records written."""
    return f'"{staged_batch(table_name)}" AS batch WHERE batch.id IS NOT NULL'


def images_around(connection: Connection, table: Table, import_id: int, org_id: int,
                  key_columns: tuple,
                  keys: list, restored: tuple, write: Callable[[], None]) -> None:
    """Before-images of a batch written by `write` (through upsert()): the JSON array of
    `restored` of each batch record that exists before the write, then NULL for each one
    that has no image yet after it (those it created); a record already imaged by this
    import keeps its first image. `keys`: the batch's natural keys (tuples of
    `key_columns`' values)."""
    found = keys_found(connection, table, key_columns)
    columns = [list(column) for column in zip(*keys, strict=True)] if keys else []
    parameters = (import_id, table.name, org_id, *columns)
    values = ", ".join(f'record."{c}"' for c in restored)
    insert = (f"INSERT INTO {IMAGE_TABLE} (import_id, table_name, record_id, before) "
              "SELECT %s, %s, record.id, {image} FROM " + found + " ON CONFLICT DO NOTHING")
    connection.exec_driver_sql(insert.format(image=f"json_build_array({values})::text"),
                               parameters)
    write()
    connection.exec_driver_sql(
        f"INSERT INTO {IMAGE_TABLE} (import_id, table_name, record_id, before) "
        f"SELECT %s, %s, batch.id, NULL FROM {written_ids(table.name)} ON CONFLICT DO NOTHING",
        (import_id, table.name))


def keys_found(connection: Connection, table: Table, key_columns: Sequence[str],
               lock: bool = False) -> str:
    """SQL (FROM clause, parameters: the organization, then one array per key column):
    the records of the organization with the batch's keys, one index probe per key
    (each locked FOR UPDATE, in the keys' order, with `lock`)."""
    dialect = connection.dialect
    arrays = ", ".join(f"%s::{table.c[k].type.compile(dialect=dialect)}[]" for k in key_columns)
    names = ", ".join(f'"{k}"' for k in key_columns)
    match = " AND ".join(f'record."{k}" = batch."{k}"' for k in key_columns)
    return (f"(SELECT %s AS org) AS org CROSS JOIN unnest({arrays}) AS batch({names}) "
            f'CROSS JOIN LATERAL (SELECT * FROM "{table.name}" AS record '
            f"WHERE record.organization_id = org.org AND {match} LIMIT 1"
            + (" FOR UPDATE" if lock else "") + ") AS record")
