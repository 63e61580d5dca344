"""Choices of a related record looked up as the user types (issue 14).

The framework renders a related record's field (a customer, a product, an organization)
as a select listing every row it may offer: a distributor's 5,000 customers made each
Open Invoices page 431 KB, and every form post loaded them all again to check the
choice. Here such a field renders only the chosen record (a form's current value, a
search filter's active values); the browser's select2 (static/js/remote_choices.js)
asks the view's JSON endpoint for matches of what the user types, a page at a time; a
posted choice is checked by looking that one record up. The offered rows are the same
as before: the related table with the field's filters (the tenancy of
app/security/filters.py) applied.
"""
import re

from flask import request
from flask_appbuilder.fields import QuerySelectField
from flask_babel import lazy_gettext
from sqlalchemy import String, cast, or_
from wtforms import widgets
from wtforms.fields.core import UnboundField

PAGE_SIZE = 20
SEARCHED_COLUMNS = ("code", "name", "reference", "username")


class RelatedChoices:
    """The rows one relation field of a view may offer: search them, or find one."""

    def __init__(self, datamodel, column, filters):
        self.datamodel = datamodel
        self.column = column
        self.filters = filters or []

    def query(self):
        related = self.datamodel.get_related_interface(self.column)
        filters = related.get_filters().add_filter_list(self.filters)
        return related.apply_filters(related.session.query(related.obj), filters)

    @property
    def model(self):
        return self.datamodel.get_related_model(self.column)

    def search(self, text, page=1):
        """([(id, label)...], whether more follow) of rows matching `text`."""
        query = self.query()
        words = (text or "").split()
        columns = [getattr(self.model, name) for name in SEARCHED_COLUMNS
                   if hasattr(self.model, name)]
        for word in words:
            pattern = "%" + re.sub(r"([%_\\])", r"\\\1", word) + "%"
            query = query.filter(or_(*(cast(column, String).ilike(pattern, escape="\\")
                                       for column in columns)))
        query = query.order_by(self.model.id)  # after the filters' own order, if any
        start = (max(page, 1) - 1) * PAGE_SIZE
        rows = query.offset(start).limit(PAGE_SIZE + 1).all()
        return [(row.id, str(row)) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE

    def find(self, pks):
        """The rows with these ids that the field may offer (others: left out)."""
        ids = [int(pk) for pk in pks if str(pk).isdigit()]
        if not ids:
            return []
        return self.query().filter(self.model.id.in_(ids)).all()


class RemoteChoiceWidget(widgets.Select):
    """A select that lists only its chosen records; select2 fetches the rest."""

    def __init__(self, url):
        super().__init__()
        self.url = url

    def __call__(self, field, **kwargs):
        # Not the framework's "my_select2": it would become a select2 of the options
        # rendered; remote_choices.js makes it look them up instead.
        kwargs.update({"class": "muara-remote-choices form-control",
                       "data-choices-url": self.url(),
                       "data-placeholder": lazy_gettext("Type to search")})
        return super().__call__(field, **kwargs)


class RemoteChoiceField(QuerySelectField):
    """QuerySelectField whose choices are the chosen records only (see module doc)."""

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = choices

    def _get_object_list(self):
        if self._object_list is None:
            self._object_list = [(str(row.id), row) for row in self.choices.find(self._wanted())]
        return self._object_list

    def _wanted(self):
        if self._formdata is not None:
            return [self._formdata]
        if self._data is not None:
            return [self._data.id]
        # A search filter: the records the list is filtered by now.
        pattern = re.compile(r"_flt_\d+_" + re.escape(self.name) + "$")
        return [value for key in request.args if pattern.match(key)
                for value in request.args.getlist(key)]


def remote_choice_fields(form, datamodel, filters_by_column, url_for_column):
    """Turn each related-record select of `form` (a form class) into a RemoteChoiceField
    offering what `filters_by_column` allows, looked up at `url_for_column(column)`."""
    for name in dir(form):
        unbound = getattr(form, name, None)
        if not (isinstance(unbound, UnboundField)
                and unbound.field_class is QuerySelectField):
            continue
        choices = RelatedChoices(datamodel, name, filters_by_column.get(name))
        kwargs = {**unbound.kwargs, "choices": choices,
                  "widget": RemoteChoiceWidget(lambda name=name: url_for_column(name))}
        setattr(form, name, UnboundField(RemoteChoiceField, *unbound.args, **kwargs))


def choices_json(choices, text, page):
    """select2's answer: {"results": [{"id", "text"}], "pagination": {"more"}}."""
    rows, more = choices.search(text, page)
    return {"results": [{"id": str(pk), "text": label} for pk, label in rows],
            "pagination": {"more": more}}
