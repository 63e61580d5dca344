"""A rejection's message in the reader's language (issue 16).

The import writes its messages in English (the REST API, the CLI and the downloads keep
them so: scripts read them); a screen shows each in the user's language. Every message
the row checks write is listed here as an English pattern: a stored message that matches
one is shown as its translation with the same values (the field's name translated too);
any other message is shown as stored."""
import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

MESSAGES = (
    _l("%(field)s is required."),
    _l("%(field)s is required for a multi-location company."),
    _l("Customer code '%(value)s' does not exist for this company."),
    _l("Product code '%(value)s' does not exist for this company."),
    _l("Location code '%(value)s' does not exist for this company."),
    _l("'%(value)s' is not a principal with an active connection to this company."),
    _l("%(field)s '%(value)s' is not a number."),
    _l("%(field)s '%(value)s' is not a whole number."),
    _l("%(field)s '%(value)s' is not a valid date in the format %(format)s."),
    _l("%(field)s '%(value)s' is not a time of day (HH:MM)."),
    _l("%(field)s has %(length)s characters; at most %(most)s are allowed."),
    _l("%(field)s %(value)s has %(count)s decimals; at most %(most)s are allowed."),
    _l("%(field)s must be greater than zero (got %(value)s)."),
    _l("%(field)s %(value)s is too large: at most %(most)s digits before the decimal "
       "point."),
    _l("%(field)s %(value)s is too large: at most %(most)s."),
    _l("%(field)s '%(value)s' appears more than once in the file: first on row %(row)s; "
       "this row was not imported."),
    _l("The file has no column %(names)s, which the template requires. Columns found: "
       "%(found)s."),
)
SEVERITY_WORDS = {"error": _l("error"), "warning": _l("warning"), "info": _l("info")}
_PLACE = re.compile(r"%\\\((\w+)\\\)s")


def _pattern(english):
    return re.compile("^" + _PLACE.sub(r"(?P<\1>.+?)", re.escape(english)) + "$", re.S)


# The English of each message (the lazy string's source), compiled once.
PATTERNS = [(message._args[0], _pattern(message._args[0])) for message in MESSAGES]


def message_words(text):
    """A stored English message in the request's language; unknown ones as they are."""
    if not text:
        return text or ""
    for english, pattern in PATTERNS:
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            if "field" in values:
                values["field"] = gettext(values["field"])
            return gettext(english, **values)
    return text


def severity_words(severity):
    words = SEVERITY_WORDS.get(severity)
    return str(words) if words is not None else severity or ""
