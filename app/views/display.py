"""How a value reads on a list or show page: no "None", "True" or microseconds.

Only the screens use this: exports (CSV/JSON/XLSX downloads, `muara export`) keep the
raw values.
"""
import datetime as dt

from flask_appbuilder.baseviews import BaseModelView


def shown(value):
    """A value as a person reads it: None is blank, booleans are Yes/No, a timestamp
    stops at the second and a whole float (50.0 from a spreadsheet) is an integer."""
    if value is None:
        return ""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, dt.datetime):
        return str(value.replace(microsecond=0))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


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
    view.formatters_columns = {**{column: shown for column in columns}, **own}
