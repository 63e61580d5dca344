"""What a file is, from its bytes, and whether its zip directory is safe to open.

- `detect_format` decides what a file is by its bytes, never by its name.
- `check_zip_safety` refuses a zip bomb from the zip directory alone, before any parsing.

Pure Python (no Flask). Anything wrong with the file as a whole raises `FileRejected`.
"""
import codecs
import io
import math
import struct
import zipfile
import zlib

from app.importing.faults import PASSWORD_MESSAGE, FileRejected

MB = 1024 * 1024
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _utf16(name):
    return name.encode("utf-16-le")


ENCRYPTED_PACKAGE = _utf16("EncryptedPackage")
_XLS_STREAMS = (_utf16("Workbook"), _utf16("Book"))
_OTHER_CFB = ((_utf16("WordDocument"), "a Word document"),
              (_utf16("PowerPoint Document"), "a PowerPoint presentation"))

# Excel 2.x-4.0 files are a bare BIFF stream (no compound file): a BOF record, by version.
_OLD_EXCEL_BOF = {b"\x09\x00": "an Excel 2.x file", b"\x09\x02": "an Excel 3.0 file",
                  b"\x09\x04": "an Excel 4.0 file"}

# The main part's content type ([Content_Types].xml) names an OOXML package whatever its
# folders are called (strict ISO writers do not use xl/).
_SPREADSHEET_MAIN = (b"spreadsheetml.sheet.main+xml", b"spreadsheetml.template.main+xml",
                     b"ms-excel.sheet.macroEnabled.main+xml",
                     b"ms-excel.template.macroEnabled.main+xml")
_XLSB_MAIN = b"ms-excel.sheet.binary.macroEnabled.main"
_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_LIMIT = 256 * 1024

# Leading bytes of files people upload by mistake, and what to call them.
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
)


def _not_a_spreadsheet(what):
    return FileRejected("not_a_spreadsheet", f"The file is {what}, not a spreadsheet or CSV file.")


# --- format detection -------------------------------------------------------------------

def detect_format(head: bytes, filename: str) -> str:
    """What the file is, from its first bytes (at least 64 KB, or the whole file).

    Returns one of FORMATS or raises FileRejected. `filename` is not trusted; it is kept
    in the signature for callers and messages only.
    """
    if not head:
        raise FileRejected("empty_file", "The file is empty.")
    if head.startswith(_ZIP_LOCAL) or head.startswith(_ZIP_EMPTY):
        return _zip_format(head)
    if head.startswith(_CFB_MAGIC):
        return _cfb_format(head)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise _not_a_spreadsheet(what)
    old_excel = _old_excel(head)
    if old_excel:
        raise FileRejected("unsupported_format",
                           f"The file is {old_excel}: open it in Excel and save it as .xlsx.")

    if head.startswith(_UTF16_BOMS):
        text = head[2:].decode("utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be",
                               errors="replace")
    else:
        if b"\x00" in head[:4096]:
            raise _not_a_spreadsheet("a binary file")
        text = head[len(_UTF8_BOM):] if head.startswith(_UTF8_BOM) else head
        text = text.decode("latin-1")  # only looking at ASCII here
    stripped = text.lstrip()
    if not stripped:
        raise FileRejected("empty_file", "The file is empty.")
    if stripped.startswith("<"):
        return "xml"
    return "csv"


def _old_excel(head):
    """What to call an Excel 4.0 or older file (a bare BIFF2-4 stream), or None."""
    what = _OLD_EXCEL_BOF.get(head[:2])
    if what is None or len(head) < 8:
        return None
    size, = struct.unpack_from("<H", head, 2)
    return what if 4 <= size <= 16 else None


def _zip_format(head):
    names, complete, mimetype = _zip_names(head)
    if mimetype is not None:
        if mimetype.startswith(ODS_MIMETYPE):
            return "ods"
        if mimetype.startswith("application/vnd.oasis.opendocument."):
            raise _not_a_spreadsheet("an OpenDocument " + _odf_kind(mimetype))
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return _zip_format_xlsb()
    # Only part of the zip was given: the directory is at the end, so judge by the member
    # names seen so far (openpyxl writes the worksheets before xl/workbook.xml).
    if not complete and any(n.startswith("xl/") or "/worksheets/" in n for n in names):
        return "xlsx"
    content_types = _content_types(head)
    if any(kind in content_types for kind in _SPREADSHEET_MAIN):
        return "xlsx"  # its parts are not under xl/ (strict ISO names)
    if _XLSB_MAIN in content_types:
        return _zip_format_xlsb()
    if any(n.startswith("word/") for n in names):
        raise _not_a_spreadsheet("a Word document")
    if any(n.startswith("ppt/") for n in names):
        raise _not_a_spreadsheet("a PowerPoint presentation")
    raise _not_a_spreadsheet("a ZIP archive")


def _zip_format_xlsb():
    raise FileRejected("not_a_spreadsheet",
                       "The file is an Excel binary workbook (.xlsb), which is not supported: "
                       "save it as .xlsx and upload it again.")


def _content_types(head):
    """The start of the package's [Content_Types].xml from the first bytes of a zip, or b"".
    Read from the local file header, so a partial file is enough; never more than
    _CONTENT_TYPES_LIMIT bytes are inflated."""
    pos = head.find(_ZIP_LOCAL)
    while pos != -1 and pos + 30 <= len(head):
        (_sig, _ver, _flags, method, _time, _date, _crc, csize, _usize,
         name_len, extra_len) = struct.unpack_from("<4sHHHHHIIIHH", head, pos)
        name = head[pos + 30:pos + 30 + name_len].decode("utf-8", "replace")
        if name == _CONTENT_TYPES:
            data = head[pos + 30 + name_len + extra_len:][:csize or None]
            if method == 0:
                return data[:_CONTENT_TYPES_LIMIT]
            if method == 8:
                try:
                    return zlib.decompressobj(-15).decompress(data, _CONTENT_TYPES_LIMIT)
                except zlib.error:
                    return b""
            return b""
        pos = head.find(_ZIP_LOCAL, pos + 4)
    return b""


def is_relocated_ooxml(path: str) -> bool:
    """Whether an .xlsx keeps its parts outside xl/ (strict ISO names)."""
    try:
        with zipfile.ZipFile(path) as zf:
            if "xl/workbook.xml" in zf.namelist():
                return False
            with zf.open(_CONTENT_TYPES) as fh:
                content_types = fh.read(_CONTENT_TYPES_LIMIT)
    except (KeyError, zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, OSError,
            zlib.error):
        return False
    return any(kind in content_types for kind in _SPREADSHEET_MAIN)


def _odf_kind(mimetype):
    kind = mimetype.rsplit(".", 1)[-1]
    return {"text": "text document", "presentation": "presentation"}.get(kind, "document")


def _zip_names(head):
    """(member names, whether the list is complete, the ODF mimetype if any)."""
    try:
        with zipfile.ZipFile(io.BytesIO(head)) as zf:
            names = zf.namelist()
            mimetype = None
            if "mimetype" in names:
                mimetype = zf.read("mimetype")[:200].decode("ascii", "replace").strip()
            return set(names), True, mimetype
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, OSError):
        pass
    # Partial file: member names are readable in the local file headers.
    names = set()
    mimetype = None
    pos = head.find(_ZIP_LOCAL)
    while pos != -1 and pos + 30 <= len(head):
        (_sig, _ver, _flags, method, _time, _date, _crc, csize, _usize,
         name_len, extra_len) = struct.unpack_from("<4sHHHHHIIIHH", head, pos)
        name = head[pos + 30:pos + 30 + name_len].decode("utf-8", "replace")
        names.add(name)
        if name == "mimetype" and method == 0:
            start = pos + 30 + name_len + extra_len
            mimetype = head[start:start + min(csize, 200)].decode("ascii", "replace").strip()
        pos = head.find(_ZIP_LOCAL, pos + 4)
    return names, False, mimetype


def _cfb_format(head):
    if ENCRYPTED_PACKAGE in head:
        raise FileRejected("password_protected", PASSWORD_MESSAGE)
    if not any(stream in head for stream in _XLS_STREAMS):
        for stream, what in _OTHER_CFB:
            if stream in head:
                raise _not_a_spreadsheet(what)
    return "xls"


# --- zip bombs -----------------------------------------------------------------------------

def check_zip_safety(path: str, max_uncompressed: int, max_ratio: int = 200) -> None:
    """Refuse an xlsx/ods whose zip directory declares too much data, before parsing it."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError) as exc:
        raise FileRejected("corrupt_file", "The file is damaged: it could not be opened as a zip "
                                           f"archive ({exc}).") from exc
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise FileRejected(
            "zip_bomb",
            f"The file expands to {math.ceil(total / MB)} MB when unpacked "
            f"(limit {_mb(max_uncompressed)} MB): refused as a possible zip bomb.")
    for info in infos:
        if info.file_size <= MB:
            continue
        ratio = info.file_size / info.compress_size if info.compress_size else math.inf
        if ratio > max_ratio:
            shown = "more than 1000" if ratio > 1000 else f"{ratio:.0f}"
            raise FileRejected(
                "zip_bomb",
                f"Part of the file expands {shown} times when unpacked "
                f"(limit {max_ratio} times): refused as a possible zip bomb.")


def _mb(size):
    value = size / MB
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"



def file_contains(path: str, needle: bytes, chunk: int = MB) -> bool:
    overlap = len(needle) - 1
    tail = b""
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            if needle in tail + block:
                return True
            tail = block[-overlap:]
    return False

