"""Which sheet of a workbook a template reads.

A template names its sheet by name first ("2025" is a name); a position is written "#2"
(the second sheet of the workbook, hidden ones counted, as Excel numbers them). With no
sheet named, the first visible worksheet is read: a hidden sheet is read only when the
template names it, and the hidden ones passed over are reported (a file-level warning).
"""
from dataclasses import dataclass, field
from io import BytesIO

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from app.importing.faults import FileRejected


def sheet_argument(sheet: str | int | None) -> str | int | None:
    """A template's sheet value for the reader: "#2" -> 1 (a 0-based position), a name as
    it is, empty -> None (the first visible sheet)."""
    if sheet is None or not str(sheet).strip():
        return None
    text = str(sheet).strip()
    if text.startswith("#") and text[1:].strip().isdigit():
        return int(text[1:]) - 1
    return str(sheet)


@dataclass
class SheetChoice:
    name: str
    hidden_skipped: list = field(default_factory=list)


def choose_sheet(workbook: CalamineWorkbook, sheet: str | int | None) -> SheetChoice:
    """The sheet to read: `sheet` is a name, a 0-based position or None (see the module)."""
    metadata = workbook.sheets_metadata
    names = [m.name for m in metadata]
    listed = ", ".join(names)
    if sheet is None:
        skipped = []
        for meta in metadata:
            if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
                return SheetChoice(meta.name, skipped)
            if meta.visible != SheetVisibleEnum.Visible:
                skipped.append(meta.name)
        raise FileRejected("sheet_missing",
                           f"The workbook has no visible worksheet (sheets: {listed}): "
                           "name the sheet to read in the template.")
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise FileRejected("sheet_missing",
                               f"The workbook has no sheet number {sheet + 1} (sheets: {listed}).")
        return SheetChoice(names[sheet])
    if sheet in names:
        return SheetChoice(sheet)
    # Excel treats sheet names without regard to case.
    matches = [name for name in names if name.strip().casefold() == sheet.strip().casefold()]
    if len(matches) == 1:
        return SheetChoice(matches[0])
    hint = ""
    if sheet.strip().isdigit():
        hint = f"; for the sheet in position {int(sheet)}, write #{int(sheet)}"
    raise FileRejected("sheet_missing",
                       f"The workbook has no sheet named '{sheet}' (sheets: {listed}){hint}.")


def workbook_sheet_names(source: str | bytes) -> list[str]:
    """The sheet names of a spreadsheet (a path or its bytes), in the workbook's order;
    FileRejected when it is no workbook calamine reads."""
    try:
        if isinstance(source, (bytes, bytearray)):
            workbook = CalamineWorkbook.from_filelike(BytesIO(source))
        else:
            workbook = CalamineWorkbook.from_path(source)
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRejected("unreadable", f"The file is not a workbook that can be read "
                                         f"({exc}).") from None
    return list(workbook.sheet_names)


def missing_sheets(names: list[str], wanted: list[str]) -> list[str]:
    """The `wanted` sheet names a workbook with sheets `names` lacks, matched as
    choose_sheet matches a name (exactly, else without regard to case)."""
    folded = {name.strip().casefold() for name in names}
    return [sheet for sheet in wanted
            if sheet not in names and sheet.strip().casefold() not in folded]
