"""How a value reads on a list or show page: no "None", "True" or microseconds.

Only the screens use this: exports (CSV/JSON/XLSX downloads, `muara export`) keep the
raw values.
"""
import datetime as dt
import enum
from decimal import Decimal

from flask_appbuilder.baseviews import BaseModelView

from app.i18n import formats
from app.models.integrations import (
    INTEGRATION_KIND_LABELS,
    SYNC_MODE_LABELS,
    IntegrationKind,
    SyncMode,
)

# Choices whose words are kept beside their enum (the forms offer the same words).
ENUM_LABELS = {IntegrationKind: INTEGRATION_KIND_LABELS, SyncMode: SYNC_MODE_LABELS}


def shown(value):
    """A value as a person reads it: None is blank, booleans are Yes/No, a timestamp
    stops at the second, dates and amounts read the language's way (app/i18n/formats:
    a whole float, 50.0 from a spreadsheet, reads 50)."""
    if value is None:
        return ""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, dt.datetime):
        return str(value.replace(microsecond=0))
    if isinstance(value, dt.date):
        return formats.date_text(value)
    if isinstance(value, (Decimal, float)):
        return formats.number_text(value)
    if isinstance(value, enum.Enum):
        return enum_label(value)
    return value


def enum_label(value):
    """An enum's words: its listed label, its own `label`, else its value as a phrase
    ("shift_closing" -> "Shift closing")."""
    listed = ENUM_LABELS.get(type(value), {})
    if value in listed:
        return listed[value]
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return label
    return str(value.value).replace("_", " ").capitalize()


def or_text(text):
    """A formatter showing `text` where the value is empty (e.g. "first sheet")."""
    def formatter(value):
        return text if value is None or value == "" else shown(value)
    return formatter


def name_only(record):
    """A related record by its name alone (a template, not "Default X (module_name)")."""
    return "" if record is None else record.name


def with_display_formatters(view):
    """Format every list and show column of a model view with `shown`, keeping the
    formatters the class sets itself. Set on the class, before the framework
    instantiates it (it copies formatters_columns at instantiation)."""
    if not issubclass(view, BaseModelView):
        return
    own = view.formatters_columns or {}
    columns = [*(view.list_columns or ()), *(view.show_columns or ())]
    view.formatters_columns = {**{column: _formatter(view, column) for column in columns},
                               **own}


def _formatter(view, column):
    """`shown`, or for a column of choices (an Enum column, which the framework hands
    over as its plain value) the choice's words."""
    table_column = getattr(view.datamodel.obj, "__table__", None)
    table_column = None if table_column is None else table_column.c.get(column)
    enum_class = getattr(getattr(table_column, "type", None), "enum_class", None)
    if enum_class is None:
        return shown

    def choice_words(value):
        try:
            return enum_label(enum_class(value))
        except ValueError:
            return shown(value)
    return choice_words
