"""How an import's reading is told to people (file page, e-mail): "read as" and the
file-level warnings, in words, from what the import row stores (app.importing.file_warnings)."""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.importing.file_warnings import stored_read_as, stored_warnings

# In the reader's language where there is one (a screen, the uploader's e-mail).
_DELIMITERS = {",": _l("comma"), ";": _l("semicolon"), "\t": _l("tab"),
               "|": _l("vertical bar")}


def read_as_words(read_as_json: str | None) -> str:
    """'CSV, Windows-1250, semicolon-separated' or 'XLSX, sheet "Invoices"'; '' when unread."""
    read_as = stored_read_as(read_as_json)
    if not read_as:
        return ""
    parts = [str(read_as.get("format") or "").upper()]
    if read_as.get("encoding"):
        parts.append(read_as["encoding"])
    if read_as.get("delimiter"):
        delimiter = read_as["delimiter"]
        parts.append(gettext("%(delimiter)s-separated",
                             delimiter=str(_DELIMITERS.get(delimiter, repr(delimiter)))))
    if read_as.get("sheet"):
        parts.append(gettext('sheet "%(name)s"', name=read_as["sheet"]))
    return ", ".join(parts)


def warning_lines(warnings_json: str | None) -> list[str]:
    return [warning["message"] for warning in stored_warnings(warnings_json)]


def warnings_paragraph(warnings_json: str | None) -> str:
    """The warnings as an e-mail paragraph ('' when there are none)."""
    lines = warning_lines(warnings_json)
    if not lines:
        return ""
    return "\nWarnings:\n" + "".join(f"- {line}\n" for line in lines)
