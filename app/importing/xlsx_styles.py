"""The number format of the cells of an .xlsx sheet, read only where it matters.

python-calamine gives a cell's value, not its format, so `00123` comes out as 123. The
reader (readers.Table) asks for a column's formats the first time a text field's column
holds a number, so files whose codes are text cost nothing. A column is read in one pass
over the sheet's XML streamed from the zip, finding that column's cells with bytes.find
(lxml's parser when the cells do not carry their reference), and kept as runs (row where
the format changes, format): a column formatted alike from top to bottom is one entry
whatever the number of rows.
"""
import bisect
import posixpath
import re
import zipfile
from collections.abc import Callable

from lxml import etree

from app.importing.columns import column_index, column_letter

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
# Excel's built-in number formats that matter for a number shown as text (the others are
# dates, which calamine already gives as dates, or General).
BUILTIN_FORMATS = {1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
                   11: "0.00E+00", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
                   39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
                   48: "##0.0E+0", 49: "@"}
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_CHUNK = 4 << 20
_FIRST_CELL = re.compile(rb"<(\w+:)?c[\s>/]")
_STYLE = re.compile(rb'\ss="(\d+)"')


class CellFormats:
    """`code(row, column)`: the number format of a number cell (1-based row, 0-based
    column), None for General. Each column is read when first asked for."""

    def __init__(self, read_column: Callable[[int], tuple] | None = None):
        self._read_column = read_column  # column -> runs ([first rows], [formats])
        self._runs = {}

    def code(self, row: int, column: int) -> str | None:
        runs = self._runs.get(column)
        if runs is None:
            runs = self._runs[column] = self._read_column(column) if self._read_column \
                else ([], [])
        starts, codes = runs
        at = bisect.bisect_right(starts, row) - 1
        return codes[at] if at >= 0 else None


NO_FORMATS = CellFormats()


def sheet_cell_formats(path: str, sheet_name: str) -> CellFormats:
    """The formats of the sheet's number cells, read a column at a time when asked.
    Anything unexpected in the package gives no formats (General), never an error: the
    values were read by calamine already."""
    package_info = []

    def read_column(column):
        try:
            with zipfile.ZipFile(path) as package:
                if not package_info:
                    package_info.append((_style_formats(package),
                                         _sheet_part(package, sheet_name)))
                styles, part = package_info[0]
                if not any(styles) or part is None:
                    return [], []
                with package.open(part) as xml:
                    runs = _found_runs(xml, styles, column)
                if runs is None:  # cells without their reference: parse the XML
                    with package.open(part) as xml:
                        runs = _parsed_runs(xml, styles, column)
                return runs
        except (KeyError, OSError, ValueError, zipfile.BadZipFile, etree.LxmlError):
            return [], []

    return CellFormats(read_column)


def _local(tag):
    return tag.rpartition("}")[2]


def _style_formats(package):
    """Cell style index -> number format code (None for General)."""
    try:
        root = etree.fromstring(package.read("xl/styles.xml"), _SAFE)
    except KeyError:
        return []
    custom = {}
    xfs = []
    for element in root:
        name = _local(element.tag)
        if name == "numFmts":
            for fmt in element:
                custom[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode")
        elif name == "cellXfs":
            for xf in element:
                number = int(xf.get("numFmtId", "0"))
                xfs.append(custom.get(number, BUILTIN_FORMATS.get(number)))
    return xfs


def _sheet_part(package, sheet_name):
    workbook = etree.fromstring(package.read("xl/workbook.xml"), _SAFE)
    rel_id = None
    for sheet in workbook.iter(f"{{{_MAIN}}}sheet", f"{{{_STRICT_MAIN}}}sheet"):
        if sheet.get("name") == sheet_name:
            rel_id = sheet.get(f"{{{_REL}}}id") or sheet.get(f"{{{_STRICT_REL}}}id")
            break
    if rel_id is None:
        return None
    rels = etree.fromstring(package.read("xl/_rels/workbook.xml.rels"), _SAFE)
    for rel in rels.iter(f"{{{_PKG_REL}}}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None


class _Runs:
    """Runs of one column, fed cell by cell in row order."""

    def __init__(self, styles):
        self.styles = styles
        self.starts, self.codes = [], []

    def add(self, row, attributes):
        style = _STYLE.search(attributes)
        style = int(style.group(1)) if style else 0
        code = self.styles[style] if style < len(self.styles) else None
        if (self.codes[-1] if self.codes else None) != code:
            self.starts.append(row)
            self.codes.append(code)

    def result(self):
        return self.starts, self.codes


def _is_number(attributes):
    return b' t="' not in attributes or b' t="n"' in attributes


def _found_runs(xml, styles, column):
    """The column's runs, its cells found by their reference (`<c r="E12" ...>`, as
    Excel, LibreOffice and the Python writers put it first); None when the sheet's first
    cell has no reference (it is optional)."""
    runs = _Runs(styles)
    needle = None
    carry = b""
    while True:
        chunk = xml.read(_CHUNK)
        data = carry + chunk
        carry = b""
        if chunk:  # a tag cut at the chunk's end is read with the next chunk
            cut = data.rfind(b"<")
            data, carry = data[:cut], data[cut:]
        if needle is None:
            first = _FIRST_CELL.search(data)
            if first is None:
                if not chunk:
                    return runs.result()
                carry = data + carry
                continue
            if not data.startswith(b' r="', first.end() - 1):
                return None
            needle = b"<" + (first.group(1) or b"") + b'c r="' + column_letter(column).encode()
        size = len(needle)
        at = data.find(needle)
        while at != -1:
            end = data.find(b">", at)
            tag = data[at + size:end]
            digits = tag[:tag.find(b'"')]
            if digits.isdigit() and _is_number(tag):  # not column EA when E is asked
                runs.add(int(digits), tag)
            at = data.find(needle, end)
        if not chunk:
            return runs.result()


def _parsed_runs(xml, styles, column):
    runs = _Runs(styles)
    row_number = 0
    for _event, row in etree.iterparse(xml, events=("end",), tag=(f"{{{_MAIN}}}row",
                                                                 f"{{{_STRICT_MAIN}}}row"),
                                       resolve_entities=False, no_network=True):
        row_number = int(row.get("r") or row_number + 1)
        position = -1
        for cell in row:
            ref = cell.get("r")
            position = column_index(ref.rstrip("0123456789")) if ref else position + 1
            if position == column and cell.get("t", "n") == "n":
                runs.add(row_number, f' s="{cell.get("s") or 0}"'.encode())
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]
    return runs.result()
