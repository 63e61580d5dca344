"""The text encoding of a CSV file, decided over the whole file and said out loud.

- A BOM decides: UTF-8 or UTF-16.
- A file that is UTF-8 from its first byte to its last is UTF-8 (plain ASCII included).
- Otherwise it is a single-byte code page. Lines holding bytes past ASCII are sampled
  over the whole file (a few per megabyte), and their words are read both as Windows-1250
  (Central European: Polish, Czech, ...) and as Western (Windows-1252 / Latin-1). Each
  reading scores the words whose letters belong together in one language's alphabet
  ("Łukasz" read as Western is "£ukasz": a pound sign inside a word; "Mañana" read as
  Central European is "Mańana", and Polish never writes ń before a vowel). The better
  reading wins; a tie is not certain (a warning says so). When neither reads as a Latin
  script, charset_normalizer's full analysis of the sample decides (Cyrillic, Greek, ...).
- Western is Windows-1252 when the file uses its bytes 0x80-0x9F (€, ’, Š, ...), else
  Latin-1 (ISO-8859-1): the two read every other byte alike.

Reads the file in blocks of 1 MB: a 55 MB file is checked in well under a second.
"""
import codecs
import re
from dataclasses import dataclass

BLOCK = 1 << 20
LINES_PER_BLOCK = 20
LABELS = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252",
          "cp1250": "Windows-1250", "latin-1": "ISO-8859-1", "latin_1": "ISO-8859-1",
          "iso8859-1": "ISO-8859-1", "iso8859-2": "ISO-8859-2", "cp1251": "Windows-1251"}
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b < 0xA0)
_TOKEN_SPLIT = re.compile(rb"[\s,;|\"'()\[\]{}<>=/]+")

# Letters past ASCII of the languages each reading stands for.
_WESTERN = ("áéíóúñüÁÉÍÓÚÑÜ", "àâæçéèêëîïôœùûüÿÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸ", "äöüßÄÖÜ",
            "ãõáâàçéêíóôúÃÕÁÂÀÇÉÊÍÓÔÚ", "àèéìíîòóùúÀÈÉÌÍÎÒÓÙÚ", "åæøäöéüÅÆØÄÖÉÜ",
            "ëïéèóÉËÏÈÓ", "šžŠŽ")
_CENTRAL = ("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ",
            "áäčďéíĺľňóôŕšťúýžÁÄČĎÉÍĹĽŇÓÔŔŠŤÚÝŽ", "áéíóöőúüűÁÉÍÓÖŐÚÜŰ",
            "ăâîşţĂÂÎŞŢ", "čćđšžČĆĐŠŽ", "äöüßÄÖÜ")
_VOWELS = set("aeiouyąęóáéíúü")


@dataclass(frozen=True)
class EncodingDecision:
    codec: str
    certain: bool = True

    @property
    def label(self) -> str:
        return LABELS.get(self.codec, self.codec)


def given_encoding(name: str) -> EncodingDecision:
    """A template's fixed encoding; LookupError for an unknown one."""
    codec = codecs.lookup(name).name
    return EncodingDecision("utf-8-sig" if codec == "utf-8" else codec)


def decide_encoding(path: str) -> EncodingDecision:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingDecision("utf-16")
    if head.startswith(codecs.BOM_UTF8) or _whole_file_is_utf8(path):
        return EncodingDecision("utf-8-sig")  # with or without a BOM
    sample, uses_c1 = _non_ascii_lines(path)
    return _single_byte(sample, uses_c1)


def _whole_file_is_utf8(path):
    """UTF-8 throughout; or UTF-8 text with a stray byte further on, which stays UTF-8
    so the reader refuses it at that byte's line rather than reading it all garbled."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen_utf8 = False
    with open(path, "rb") as fh:
        try:
            while block := fh.read(BLOCK):
                if not block.isascii():
                    decoder.decode(block)
                    seen_utf8 = True
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return seen_utf8 or not exc.object[:exc.start].isascii()
    return True


def _non_ascii_lines(path):
    """A few lines with bytes past ASCII from every block of the file, and whether any
    byte of the file is in 0x80-0x9F."""
    lines, uses_c1 = [], False
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            if block.isascii():
                continue
            uses_c1 = uses_c1 or bool(block.translate(None, _NOT_C1))
            start, taken = 0, 0
            while taken < LINES_PER_BLOCK and (found := _NON_ASCII.search(block, start)):
                begin = block.rfind(b"\n", 0, found.start()) + 1
                end = block.find(b"\n", found.end())
                end = len(block) if end == -1 else end
                lines.append(block[begin:end])
                start, taken = end, taken + 1
    return b"\n".join(lines), uses_c1


def _single_byte(sample, uses_c1):
    western = "cp1252" if uses_c1 and _decodes(sample, "cp1252") else "latin-1"
    central = west = differing = 0
    for token in _TOKEN_SPLIT.split(sample):
        if token.isascii():
            continue
        as_central = token.decode("cp1250", errors="replace")
        as_western = token.decode(western, errors="replace")
        if as_central == as_western:
            continue
        as_central, as_western = _strip_shared_edges(as_central, as_western)
        differing += 1
        central += _reads_as(as_central, _CENTRAL)
        west += _reads_as(as_western, _WESTERN)
    if not differing:
        return EncodingDecision(western)  # every word reads the same either way
    if central == west == 0:
        # Imported here, for the rare sample it decides: every other file, and every
        # command's start, go without it (issue 15, start-up).
        import charset_normalizer
        best = charset_normalizer.from_bytes(sample).best()
        if best is not None and best.encoding not in ("cp1250", "cp1252", "latin_1"):
            return EncodingDecision(best.encoding, certain=False)
    if central > west:
        return EncodingDecision("cp1250")
    return EncodingDecision(western, certain=west > central)


def _decodes(data, codec):
    try:
        data.decode(codec)
        return True
    except UnicodeDecodeError:
        return False


def _strip_shared_edges(one, other):
    """Drop the punctuation both readings share at a word's ends (quotes, digits, ...).
    Single-byte readings: one character per byte, so the two align."""
    start, end = 0, len(one)
    while start < end and one[start] == other[start] and not one[start].isalpha():
        start += 1
    while end > start and one[end - 1] == other[end - 1] and not one[end - 1].isalpha():
        end -= 1
    return one[start:end], other[start:end]


def _reads_as(word, alphabets):
    """1 when the word's letters past ASCII are letters of one alphabet, used as that
    language uses them (Spanish ñ comes before a vowel, Polish ń never does)."""
    special = {c for c in word if ord(c) > 127}
    if not all(c.isalpha() for c in special):
        return 0  # "£ukasz": a symbol inside a word, this reading is wrong for it
    for alphabet in alphabets:
        if special <= set(alphabet) and not _misused(word, alphabet):
            return 1
    return 0


def _misused(word, alphabet):
    lower = word.lower()
    for i, char in enumerate(lower):
        before_vowel = i + 1 < len(lower) and lower[i + 1] in _VOWELS
        if char == "ń" and "ą" in alphabet and before_vowel:
            return True
        if char == "ñ" and "ñ" in alphabet and not before_vowel:
            return True
    return False
