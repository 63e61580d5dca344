"""How every tenant list fetches a page at ten million rows (issue 14).

Two changes to the framework's data interface (flask_appbuilder's SQLAInterface):

- the count: app/views/counting.py (exact up to a limit, else an estimate);
- the page: first the ids of the page's rows, in the list's order (the filters, the
  order and the OFFSET read an index only, e.g. open_invoice's (organization, date, id),
  never the rows skipped), then those rows by their ids, with the related records the
  list shows (customer, location, organization...) read in one query each, not one
  query per row and column. A deep page costs index entries, not millions of rows
  fetched and thrown away.
"""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import inspect
from sqlalchemy.orm import selectinload

from app.views.counting import count_rows, exact_count_limit


class ScalableInterface(SQLAInterface):
    """The framework's data interface, counting and paging as this module says."""

    shown_relations = ()  # the relationships the view's list shows (scale_lists)

    def query_count(self, query, filters=None, select_columns=None):
        inner = self._apply_inner_all(query, filters, select_columns=select_columns,
                                      aliases_mapping={})
        return count_rows(self.session, inner, self.obj, exact_count_limit())

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        if select_columns or page_size is None:
            return super().query(filters, order_column, order_direction, page, page_size,
                                 select_columns, outer_default_load)
        everything = self.session.query(self.obj)
        count = self.query_count(everything, filters)
        key = inspect(self.obj).primary_key[0]
        page_keys = self._apply_inner_all(
            everything, filters, order_column, order_direction, page, page_size,
            aliases_mapping={}).with_entities(key)
        keys = [row[0] for row in page_keys]
        if not keys:
            return count, []
        related = [selectinload(getattr(self.obj, name)) for name in self.shown_relations]
        rows = {getattr(row, key.key): row
                for row in self.session.query(self.obj).options(*related)
                .filter(key.in_(keys))}
        return count, [rows[k] for k in keys if k in rows]


def scale_lists(view):
    """Make `view`'s data interface count and page as this module says (the framework
    builds a plain SQLAInterface from the view's declaration)."""
    if type(view.datamodel) is SQLAInterface:
        view.datamodel.__class__ = ScalableInterface
    if isinstance(view.datamodel, ScalableInterface):
        relations = inspect(view.datamodel.obj).relationships
        view.datamodel.shown_relations = tuple(
            name for name in dict.fromkeys(c.split(".")[0] for c in view.list_columns or ())
            if name in relations and not relations[name].uselist)
