"""Propose a template's mapping from a sample file's headers (TPL-4).

Pure Python (no Flask): the view, the tests and anything else can use it.

Each target field of a module is compared with every header of the file:

- headers are normalised first: case, spaces and punctuation ("Invoice No." and
  "invoice_no" are the same header; "#" reads as "no", so "Invoice #" is "invoice no");
- a header equal to the field's documented header (in English or Bahasa Indonesia) or
  one of its aliases scores 1.0;
- otherwise the score mixes how alike the two texts are (difflib's SequenceMatcher ratio)
  with how many words they share (common abbreviations such as "cust" or "qty" expanded,
  filler words such as "of" ignored), and stays below 1.0.

Columns are then handed out greedily, best score first, so a column feeds at most one
field. A field whose best remaining score is below `THRESHOLD` gets no proposal.
"""
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Optional

from app.importing.modules import Field, Module

THRESHOLD = 0.5
# A fuzzy match never reads as certain: only an exact header or alias gives 1.0.
FUZZY_CEILING = 0.95

# Words people abbreviate or spell differently in headers; both sides are expanded the
# same way before comparing words.
SYNONYMS = {
    "#": "no", "number": "no", "num": "no", "nr": "no", "nbr": "no", "nomor": "no",
    "cust": "customer", "cus": "customer", "client": "customer",
    "inv": "invoice", "qty": "quantity", "amt": "amount", "bal": "balance",
    "dt": "date", "tgl": "date", "tanggal": "date",
    "loc": "location", "prod": "product", "item": "product", "sku": "product",
    "ref": "reference", "desc": "description", "uom": "unit",
    "box": "boxes",
}
FILLER = {"of", "the", "a", "an", "per", "for", "in", "on", "to"}
# Words many headers share: sharing one says little, so they count half.
GENERIC = {"code", "no", "name", "date", "id", "amount", "value", "total"}

_PUNCTUATION = re.compile(r"[^\w#]+|_")


@dataclass(frozen=True)
class Proposal:
    """The column proposed for one field: `header` and `column_index` are None when no
    column is good enough; `confidence` is 0..1 (1.0 = exact header or alias)."""
    field: str
    header: Optional[str]
    column_index: Optional[int]
    confidence: float

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def normalise(text: object) -> str:
    """Lower case, punctuation and runs of spaces as one space; "#" as the word "no"."""
    text = str(text or "").casefold().replace("#", " # ")
    words = _PUNCTUATION.sub(" ", text).split()
    return " ".join("no" if w == "#" else w for w in words)


def _words(normalised):
    """The meaningful words of a normalised header, abbreviations expanded."""
    words = []
    for word in normalised.split():
        words.extend(SYNONYMS.get(word, word).split())
    kept = [w for w in words if w not in FILLER]
    return kept or words


def _weight(words):
    return sum(0.5 if w in GENERIC else 1.0 for w in words)


def _dice(a, b):
    """Shared words of two headers, 0..1 (generic words weigh less)."""
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    return 2 * _weight(a & b) / (_weight(a) + _weight(b))


def score(header: str, candidate: str) -> float:
    """How well `header` (from the file) matches `candidate` (a field's header or alias),
    both already normalised; 0..1."""
    if not header or not candidate:
        return 0.0
    if header == candidate:
        return 1.0
    header_words, candidate_words = _words(header), _words(candidate)
    ratio = max(SequenceMatcher(None, header, candidate).ratio(),
                SequenceMatcher(None, " ".join(header_words), " ".join(candidate_words)).ratio())
    overlap = _dice(header_words, candidate_words)
    return min(0.5 * ratio + 0.5 * overlap, FUZZY_CEILING)


def candidates(field: Field) -> tuple[list[str], str]:
    """The spellings a field is known by: its header in each language, its aliases, its
    internal name."""
    exact = [normalise(text) for text in (*field.headers, *field.aliases)]
    return exact, normalise(field.name)


def field_score(header: str, field: Field) -> float:
    """The best score of a (normalised) header against every spelling of `field`."""
    exact, internal = candidates(field)
    best = max(score(header, text) for text in exact)
    if best < 1.0 and internal not in exact:
        # The internal name (e.g. "invoice_date") is a strong hint but not a documented
        # header: never more than a fuzzy match.
        best = max(best, min(score(header, internal), FUZZY_CEILING))
    return best


def propose_mapping(headers: list, module: Module,
                    threshold: float = THRESHOLD) -> list[Proposal]:
    """One Proposal per field of `module`, in the module's field order."""
    normalised = [normalise(h) for h in headers]
    scored = []
    for field_position, field in enumerate(module.fields):
        for index, header in enumerate(normalised):
            if not header:
                continue
            confidence = field_score(header, field)
            if confidence >= threshold:
                scored.append((-confidence, field_position, index))
    scored.sort()
    chosen, used_columns = {}, set()
    for negative, field_position, index in scored:
        if field_position in chosen or index in used_columns:
            continue
        chosen[field_position] = (index, -negative)
        used_columns.add(index)
    proposals = []
    for field_position, field in enumerate(module.fields):
        if field_position in chosen:
            index, confidence = chosen[field_position]
            proposals.append(Proposal(field.name, headers[index], index, round(confidence, 4)))
        else:
            proposals.append(Proposal(field.name, None, None, 0.0))
    return proposals
