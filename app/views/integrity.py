"""Friendly answers where the database would refuse a form: a natural key already taken
(add and edit), or a record still in use (delete). The framework would show the raw
SQL error, or an empty alert."""
from flask_appbuilder import Model
from flask_babel import gettext, ngettext
from sqlalchemy import UniqueConstraint, func, inspect, select

from app.extensions import db

_UNKNOWN = object()


def with_unique_keys(form_class, model):
    """`form_class` that also checks the model's multi-column unique keys (the framework
    checks single unique columns only), so a taken key is a field error on the form
    with the user's input kept, not a database error after it."""

    class UniqueKeysForm(form_class):
        def validate(self, extra_validators=None):
            valid = super().validate(extra_validators)
            if valid:
                for field_name, message in taken_keys(model, self):
                    self[field_name].errors = [*self[field_name].errors, message]
                    valid = False
            return valid

    UniqueKeysForm.__name__ = form_class.__name__
    return UniqueKeysForm


def taken_keys(model, form):
    """(form field, message) for each unique key of `model` whose values, as the form
    gives them (the rest from the row being edited), another row already has."""
    own_id = getattr(form, "_id", None)
    table = model.__table__
    for constraint in table.constraints:
        if not isinstance(constraint, UniqueConstraint) or len(constraint.columns) < 2:
            continue
        values = {column: _value(model, form, column, own_id) for column in constraint.columns}
        if any(value is _UNKNOWN or value is None for value in values.values()):
            continue
        query = select(table.c.id).where(*(column == value for column, value in values.items()))
        if own_id is not None:
            query = query.where(table.c.id != own_id)
        if db.session.execute(query.limit(1)).first() is None:
            continue
        fields = [_field_name(model, form, column) for column in constraint.columns
                  if column.name != "organization_id"]
        fields = [name for name in fields if name]
        if not fields:
            continue
        labels = " and ".join(str(form[name].label.text) for name in fields)
        within = (" within the organization"
                  if "organization_id" in {c.name for c in constraint.columns} else "")
        yield fields[-1], f"Already used: {labels} must be unique{within}."


def _field_name(model, form, column):
    if column.key in form:
        return column.key
    for relationship in inspect(model).relationships:
        if column in relationship.local_columns and relationship.key in form:
            return relationship.key
    return None


def _value(model, form, column, own_id):
    name = _field_name(model, form, column)
    if name == column.key:
        return form[name].data
    if name is not None:
        related = form[name].data
        return None if related is None else inspect(related).identity[0]
    if own_id is not None:
        row = db.session.get(model, own_id)
        return None if row is None else getattr(row, column.key)
    return _UNKNOWN


def references_to(item):
    """[(table name, rows)] of the rows that refer to `item` and would stop its delete:
    foreign keys that neither cascade nor set null."""
    table = item.__table__
    found = []
    for other in Model.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is not table or (key.ondelete or "").upper() in (
                    "CASCADE", "SET NULL"):
                continue
            count = db.session.execute(select(func.count()).select_from(other).where(
                key.parent == getattr(item, key.column.key))).scalar()
            if count:
                found.append((other.name, count))
    return found


def still_in_use_message(item):
    """Why `item` cannot be deleted, or None when nothing refers to it."""
    found = references_to(item)
    if not found:
        return None
    uses = ", ".join(ngettext("%(num)s %(name)s record", "%(num)s %(name)s records", count,
                              name=name.replace("_", " "))
                     for name, count in found)
    return gettext("%(item)s cannot be deleted: it is still used by %(uses)s. Change or "
                   "delete those first.", item=item, uses=uses)
