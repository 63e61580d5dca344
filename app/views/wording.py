"""The words people read: counts that agree in number ("1 row was", "2 rows were"),
sizes, rejection reasons, and the file states with their tabs (issue 17).

A file state's word and meaning are kept beside its enum (app.models.imports.STATE_WORDS)
so that the e-mail, below the views, says the same words; the views read them here."""
from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.i18n.formats import number_text
from app.models.imports import ImportStatus


def counted(n, noun):
    """counted(1, "row") -> "1 row"; counted(2, "row") -> "2 rows"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def were(n):
    return "was" if n == 1 else "were"


def size_words(size):
    """1536 -> "1.5 KB" ("1,5 KB" in Indonesian): a file's size as a person reads it."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{number_text(Decimal(str(round(size / factor, 1))))} {unit}"
    return gettext("1 byte") if size == 1 else gettext("%(num)s bytes", num=size)


# A rejection's reason code in words (the rejection log's filter and the result's
# breakdown); a code not listed reads as its words ("unknown_unit" -> "Unknown unit").
REASON_WORDS = {
    "required": _l("Required value missing"),
    "duplicate_in_file": _l("Duplicate in the file"),
    "invalid_date": _l("Invalid date"),
    "invalid_number": _l("Invalid number"),
    "too_many_decimals": _l("Too many decimals"),
    "too_long": _l("Text too long"),
    "unknown_customer": _l("Unknown customer"),
    "unknown_product": _l("Unknown product"),
    "unknown_location": _l("Unknown location"),
    "unknown_principal": _l("Unknown principal"),
}


def module_words(name):
    """A module's label in the user's language (declared in English; the CLI, the API and
    stored template names keep the English)."""
    from app.importing.modules import module_label
    return gettext(module_label(name))


def reason_words(code):
    words = REASON_WORDS.get(code)
    return str(words) if words is not None else str(code).replace("_", " ").capitalize()


# The Files list's tabs: one per state, with the state's own word (so a file under the tab
# "Imported" is in the state "Imported"), in the order a file goes through them.
def state_tabs():
    """(filter argument, value, label, meaning) of every tab but "All"."""
    return [("_flt_0_status", status.value, status.label, status.meaning)
            for status in STATES_IN_ORDER]


STATES_IN_ORDER = (ImportStatus.imported, ImportStatus.processing,
                   ImportStatus.needs_attention, ImportStatus.failed, ImportStatus.archived,
                   ImportStatus.checked, ImportStatus.undone)
