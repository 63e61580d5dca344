"""Where a template line's value comes from: a header's text or a column letter.

One implementation of column letters for the whole app (readers, validation, the
template screens). A letter is the sheet's own column: A is the sheet's first column,
empty or not (readers.Table keeps its header and rows in sheet columns), and a header
whose text is "a" is a header, never column A: the line says which it names.
"""
import re

HEADER, LETTER = "header", "letter"
SOURCE_KINDS = (HEADER, LETTER)
_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")
MAX_COLUMNS = 16384  # Excel's last column, XFD


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def is_column_letter(text: str) -> bool:
    text = (text or "").strip()
    return bool(_LETTERS.match(text)) and column_index(text) < MAX_COLUMNS


def column_index(letters: str) -> int:
    """"A" -> 0, "aa" -> 26."""
    index = 0
    for char in letters.strip().upper():
        index = index * 26 + (ord(char) - 64)
    return index - 1


def normalise_header(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def resolve_column(header: list, source: str, kind: str = HEADER) -> int | None:
    """Index in `header` (sheet columns) of the column a line names, or None."""
    if kind == LETTER:
        if not is_column_letter(source):
            return None
        index = column_index(source)
        return index if index < len(header) else None
    wanted = normalise_header(source)
    for index, text in enumerate(header):
        if normalise_header(text) == wanted:
            return index
    return None


def resolve_line(header: list, source: str, kind: str,
                 field_headers: tuple = ()) -> int | None:
    """`resolve_column`, and for a line naming one of its field's own headers (a
    default template's "Customer Code"), the field's other names too (its header in the
    other language, its other spellings):
    a file headed "Kode Pelanggan" fills it."""
    index = resolve_column(header, source, kind)
    if index is not None or kind != HEADER:
        return index
    own = {normalise_header(text) for text in field_headers}
    if normalise_header(source) not in own:
        return None
    return next((i for i, text in enumerate(header) if normalise_header(text) in own), None)


def describe_source(source: str, kind: str = HEADER) -> str:
    """How a message names the column after "column": 'Customer ID', or C."""
    return source.strip().upper() if kind == LETTER else f"'{source}'"
