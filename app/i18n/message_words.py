"""A rejection's message, or a file's refusal, in the reader's language (issue 16).

The import writes its messages in English (the REST API, the CLI and the downloads keep
them so: scripts read them); a screen and the result e-mail show each in the reader's
language. Every message the row checks and the file checks write is listed here as an
English pattern: a stored message that matches one is shown as its translation with the
same values (the field's and the module's names translated too); any other message is
shown as stored."""
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
    # a file refused whole (app.importing: detection, readers, tabular; the import job)
    _l("The file is empty."),
    _l("The file has no header row."),
    _l("The workbook is password-protected: remove the password and upload it again."),
    _l("The file is an Excel binary workbook (.xlsb), which is not supported: save it as "
       ".xlsx and upload it again."),
    _l("The file is %(what)s, not a spreadsheet or CSV file."),
    _l("The file is %(what)s: open it in Excel and save it as .xlsx."),
    _l("The file is damaged: it could not be opened as a zip archive (%(reason)s)."),
    _l("The file could not be read as %(format)s: %(reason)s."),
    _l("Line %(line)s could not be read as CSV: %(reason)s."),
    _l("Line %(line)s is not valid %(encoding)s text: save the file as CSV UTF-8 and upload "
       "it again."),
    _l("'%(encoding)s' is not a known text encoding."),
    _l("The template %(name)s reads %(format)s files; this file is %(found)s."),
    _l("No mapper template for %(module)s: create one before importing."),
    _l("%(module)s is imported from a spreadsheet or CSV file, not XML."),
    _l("The file stopped the reader twice; it may be damaged."),
    _l("The import stopped because the reader failed. Re-process the file once the problem "
       "is fixed."),
    # a file asked to be processed again (app.services.imports.reprocess)
    _l("Import #%(id)s: this file is being processed; wait for it to finish before "
       "processing it again."),
    _l("Import #%(id)s is being undone: wait until the undo ends."),
    _l("Import #%(id)s: this file is waiting to be processed already."),
    # a service's sync asked twice (app.services.service_sync)
    _l("A sync of this integration is already queued or running: wait for it to end."),
)
# What a refused file is (app.importing.detection), named inside the messages above.
WHAT = (_l("a Word document"), _l("a PowerPoint presentation"), _l("an Excel 2.x file"),
        _l("an Excel 3.0 file"), _l("an Excel 4.0 file"), _l("a PDF document"),
        _l("a PNG image"), _l("a JPEG image"), _l("a GIF image"), _l("a gzip archive"),
        _l("a RAR archive"), _l("a 7-Zip archive"), _l("an RTF document"),
        _l("a binary file"), _l("a ZIP archive"))
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
            for name in ("field", "module", "what"):
                if name in values:
                    values[name] = gettext(values[name])
            return gettext(english, **values)
    return text


def severity_words(severity):
    words = SEVERITY_WORDS.get(severity)
    return str(words) if words is not None else severity or ""
