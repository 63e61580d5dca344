"""How a value reads on a list or show page: no "None", "True", codes or microseconds;
timestamps in the organizations' local time with the zone (MUARA_TIME_ZONE).

Only the screens use this: exports (CSV/JSON/XLSX downloads, `muara export`) keep the
raw values.
"""
import datetime as dt
import enum
from decimal import Decimal

from flask_appbuilder.baseviews import BaseModelView
from flask_babel import gettext

from app.i18n import formats
from app.i18n.message_words import message_words
from app.i18n.screens import menu_text, screen_text
from app.models.integrations import (
    INTEGRATION_KIND_LABELS,
    SYNC_MODE_LABELS,
    IntegrationKind,
    SyncMode,
)
from app.services.localtime import to_local

# Choices whose words are kept beside their enum (the forms offer the same words), in
# the reader's language (the CLI and the API keep the English of app.models).
ENUM_LABELS = {kind: {value: screen_text(label) for value, label in labels.items()}
               for kind, labels in ((IntegrationKind, INTEGRATION_KIND_LABELS),
                                    (SyncMode, SYNC_MODE_LABELS))}


def shown(value):
    """A value as a person reads it: None is blank, booleans are Yes/No, a timestamp
    is local with its zone and stops at the second, a date has no time, and dates and
    amounts read the language's way (app/i18n/formats: a whole float, 50.0 from a
    spreadsheet, reads 50)."""
    if value is None:
        return ""
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    if isinstance(value, dt.datetime):
        return when(value)
    if isinstance(value, dt.date):
        return formats.date_text(value)
    if isinstance(value, (Decimal, float)):
        return formats.number_text(value)
    if isinstance(value, enum.Enum):
        return enum_label(value)
    return value


def when(value):
    """A stored timestamp (naive UTC) in the viewer's local time with the zone, in their
    language's date form: "2026-12-07 01:46:16 WIB", "07/12/2026 01:46:16 WIB". A value
    at midnight exactly is a date kept in a timestamp column (a document date): shown as
    the date alone."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return shown(value)
    if value.tzinfo is None and value.time() == dt.time(0):
        return formats.date_text(value.date())
    return formats.datetime_text(value, seconds=True)


def clock_time(value):
    """A time of day of a setting ("22:00", kept as local time) with the zone: "22:00 WIB"."""
    if not value:
        return ""
    return f"{value} {to_local(dt.datetime.now(dt.timezone.utc)):%Z}"


# Codes kept in text columns (a sync record's kind, a run's trigger) and their words in
# the reader's language; a code not listed reads as a phrase ("stock_opname" -> "Stock
# opname"), translated when the catalogue has it.
CODE_WORDS = {code: screen_text(text) for code, text in {
    "file": "Imported file",
    "import_file": "Imported file",
    "ab_user": "User",
    "ab_role": "Role",
    "sign_in": "Sign-in",
    "sign_in_failed": "Sign-in refused",
    "push": "Pushed by the integration",
    "shift_closed": "Register shift closed",
    "scheduled": "Scheduled time",
    "transfer_schedule": "Transfer sync time",
    "manual": "By hand",
    "refresh": "Refresh",
    "master_data": "Sync Master Data",
    "transaction": "Sync Transaction",
    # what an integration pushes (app.services.sync_documents.KINDS)
    "sales_transaction": "Sales transaction",
    "transfer_out": "Transfer out",
    "transfer_in": "Transfer in",
    "stock_adjustment": "Stock adjustment",
    "stock_opname": "Stock opname",
    "customer": "Customer",
    # what an accounting service's sync reads (app.connectors.accurate)
    "item": "Item",
    "unit": "Unit",
    "warehouse": "Warehouse",
    "tax": "Tax",
    "payment_term": "Payment term",
    "employee": "Employee",
    "sales_order": "Sales order",
}.items()}


# The audit trail's actions and tables that read as their phrase (words' fallback,
# "template_field" -> "Template field"), registered so the catalogue translates them.
menu_text("Create", "Update", "Delete", "Upload", "Reprocess", "Import now", "Fix rows",
          "Undo", "Sync all", "Export", "Organization", "Membership", "Connection",
          "Integration", "Integration key", "Service link", "Mapper template",
          "Template field", "Import file", "Import rejection")


def words(code):
    """A snake_case code as words."""
    if code is None:
        return ""
    if isinstance(code, enum.Enum):
        return enum_label(code)
    code = str(code)
    listed = CODE_WORDS.get(code)
    return str(listed) if listed is not None else gettext(code.replace("_", " ").capitalize())


def register_filters(app):
    """The same words in templates: `{{ value|shown }}`, `{{ stamp|when }}`,
    `{{ "22:00"|clock_time }}`, `{{ code|words }}`."""
    app.jinja_env.filters.update(shown=shown, when=when, clock_time=clock_time, words=words,
                                 message=message_words)


def enum_label(value):
    """An enum's words: its listed label, its own `label`, else its value as a phrase
    ("shift_closing" -> "Shift closing")."""
    listed = ENUM_LABELS.get(type(value), {})
    if value in listed:
        return str(listed[value])
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return gettext(label)
    return gettext(str(value.value).replace("_", " ").capitalize())


def or_text(text):
    """A formatter showing `text` (in the reader's language) where the value is empty
    (e.g. "first sheet")."""
    words = screen_text(text)

    def formatter(value):
        return str(words) if value is None or value == "" else shown(value)
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
    columns = [*(view.list_columns or ()), *(view.show_columns or ()),
               *(column for _, fieldset in (view.show_fieldsets or ())
                 for column in fieldset.get("fields", ()))]
    view.formatters_columns = {**{column: _formatter(view, column) for column in columns},
                               **own}


def _formatter(view, column):
    """`shown`, or for a column of choices (an Enum column, which the framework hands
    over as its plain value) the choice's words."""
    model = getattr(view.datamodel, "obj", None)  # the framework's user view gets it later
    table_column = getattr(model, "__table__", None)
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
