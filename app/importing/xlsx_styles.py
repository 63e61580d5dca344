"""The number format of each cell of some columns of an .xlsx sheet.

python-calamine gives a cell's value, not its format, so `00123` comes out as 123. This
reads the formats itself, and only when needed: the reader asks for them the first time
a text field's column holds a number (readers.Table), so files whose codes are text cost
nothing. One pass of lxml's iterparse over the sheet's XML, streamed from the zip; kept
per column as runs (row where the format changes, format), so a column formatted alike
from top to bottom costs one entry whatever the number of rows.
"""
import bisect
import posixpath
import zipfile

from lxml import etree

from app.importing.columns import column_index

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


class CellFormats:
    """`code(row, column)`: the number format of a number cell (1-based row, 0-based
    column), None for General."""

    def __init__(self, runs):
        self._runs = runs  # column -> ([first row of a run], [format of the run])

    def code(self, row: int, column: int):
        runs = self._runs.get(column)
        if runs is None:
            return None
        starts, codes = runs
        at = bisect.bisect_right(starts, row) - 1
        return codes[at] if at >= 0 else None


NO_FORMATS = CellFormats({})


def read_cell_formats(path: str, sheet_name: str, columns) -> CellFormats:
    """The formats of the number cells of `columns` (0-based) on the sheet `sheet_name`.
    Anything unexpected in the package gives no formats (General), never an error: the
    values were read by calamine already."""
    try:
        with zipfile.ZipFile(path) as package:
            styles = _style_formats(package)
            if not any(styles):
                return NO_FORMATS
            part = _sheet_part(package, sheet_name)
            if part is None:
                return NO_FORMATS
            with package.open(part) as xml:
                return CellFormats(_runs(xml, styles, set(columns)))
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, etree.LxmlError):
        return NO_FORMATS


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


def _runs(xml, styles, columns):
    runs = {}
    row_number = 0
    for _event, row in etree.iterparse(xml, events=("end",), tag=(f"{{{_MAIN}}}row",
                                                                 f"{{{_STRICT_MAIN}}}row"),
                                       resolve_entities=False, no_network=True):
        row_number = int(row.get("r") or row_number + 1)
        position = -1
        for cell in row:
            ref = cell.get("r")
            position = column_index(ref.rstrip("0123456789")) if ref else position + 1
            if position not in columns or cell.get("t", "n") != "n":
                continue
            style = int(cell.get("s") or 0)
            code = styles[style] if style < len(styles) else None
            starts, codes = runs.setdefault(position, ([], []))
            if (codes[-1] if codes else None) != code:
                starts.append(row_number)
                codes.append(code)
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]
    return runs
