"""A list's "Record Count" without counting millions of rows on every page (issue 14).

The framework counts the filtered query exactly (`SELECT count(*)` over every row the
user may see) before it fetches a page of 25: with ten million open invoices that count
alone takes seconds. Here a list counts at most `LIST_EXACT_COUNT_LIMIT` rows (a setting,
default 100,000): below that the count is exact; past it the count is an estimate,
shown as "about 10,000,000". PostgreSQL gives the planner's estimate of the scoped,
filtered query (far past the limit, no row is counted at all). SQLite has no estimate
to give: "about N" from the table's highest row id when nothing narrows the list, else
"more than 100,000".
"""
import json

from flask import current_app
from flask_babel import format_decimal, gettext
from markupsafe import escape
from sqlalchemy import func, inspect, select

DEFAULT_EXACT_COUNT_LIMIT = 100_000


class RecordCount(int):
    """A record count the list can page with, which says when it is not exact."""
    estimated = False
    lower_bound = False

    def __str__(self):
        number = format_decimal(int(self))
        if self.lower_bound:
            return gettext("more than %(number)s", number=number)
        if self.estimated:
            return gettext("about %(number)s", number=number)
        return number

    def __html__(self):
        return str(escape(str(self)))


def estimated(number):
    count = RecordCount(number)
    count.estimated = True
    return count


def more_than(number):
    count = RecordCount(number)
    count.estimated = count.lower_bound = True
    return count


def capped(count, limit):
    """A count read up to `limit` + 1 rows: exact, or "more than `limit`"."""
    return more_than(limit) if count > limit else RecordCount(count)


def exact_count_limit():
    return current_app.config.get("LIST_EXACT_COUNT_LIMIT", DEFAULT_EXACT_COUNT_LIMIT)


def count_rows(session, query, model, limit):
    """The number of rows of `query` (an ORM query, filters applied, no order): exact up
    to `limit`, else an estimate (a RecordCount that says so)."""
    rows = query.with_entities(inspect(model).primary_key[0]).order_by(None)
    postgresql = session.get_bind().dialect.name == "postgresql"
    guess = planner_estimate(session, rows.statement) if postgresql else None
    if guess is not None and guess > 2 * limit:
        # Far past the limit: not even the capped count is worth reading rows for.
        return estimated(guess)
    capped = rows.limit(limit + 1).subquery()
    exact = session.execute(select(func.count()).select_from(capped)).scalar()
    if exact <= limit:
        return RecordCount(exact)
    if guess is not None:
        return estimated(max(guess, limit + 1))
    if rows.whereclause is None:
        # Nothing narrows the list: the table's highest row id bounds it cheaply.
        highest = session.execute(select(func.max(model.id))).scalar() or 0
        return estimated(max(highest, limit + 1))
    return more_than(limit)


def planner_estimate(session, statement):
    """PostgreSQL's estimate of how many rows `statement` gives (EXPLAIN, not run)."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect,
                                  compile_kwargs={"render_postcompile": True})
    explained = connection.exec_driver_sql(
        "EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    plan = explained if isinstance(explained, list) else json.loads(explained)
    return int(plan[0]["Plan"]["Plan Rows"])
