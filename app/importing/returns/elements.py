"""The element names of the CustomerReturn format, and the log of one return's messages."""
import os
import threading
from collections.abc import Callable

from app.importing.returns.reading import NAMESPACE, Node
from app.models.returns import ReturnStatus

# {canonical name: [(node, its path)]}: the child elements `read_elements` found.
Found = dict[str, list[tuple[Node, str]]]
# A write planned for a return, applied to the return's state once it has no error.
Op = Callable[[dict], None]

ERROR, WARNING, INFO = "error", "warning", "info"
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no"}
FILE_STATUSES = {"in_preparation": ReturnStatus.in_preparation,
                 "inpreparation": ReturnStatus.in_preparation,
                 "released": ReturnStatus.released, "blocked": ReturnStatus.blocked}

# Element names as the seed writes them: a relation by its attribute or relation name.
KEY_ELEMENTS = {"number": "key", "numer": "key", "code": "key", "guid": "guid"}
HEADER_ELEMENTS = {
    "guid": "guid", "number": "number", "numer": "number", "type": "type", "Type": "type",
    "invoicingPartyData": "invoicingPartyData", "customerData": "customerData",
    "date": "date", "status": "status", "autoRelease": "autoRelease",
    "InfoTexts": "InfoTexts", "TextAssignments": "TextAssignments", "Details": "Details",
}
PARTNER_ELEMENTS = {"partner": "partner", "Partner": "partner"}
CUSTOMER_ELEMENTS = {"customer": "customer", "CustomerPartner": "customer"}
DETAIL_ELEMENTS = {
    "guid": "guid", "number": "number", "numer": "number", "item": "item", "Item": "item",
    "totalQuantity": "totalQuantity", "canceled": "canceled", "status": "status",
    "InfoTexts": "InfoTexts", "TextAssignments": "TextAssignments",
    "SubDetails": "SubDetails",
}
SUB_DETAIL_ELEMENTS = {
    "guid": "guid", "subNumber": "subNumber", "item": "item", "Item": "item",
    "totalQuantity": "totalQuantity", "InfoTexts": "InfoTexts",
    "TextAssignments": "TextAssignments",
}
QUANTITY_ELEMENTS = {"amount": "amount", "uom": "uom", "Uom": "uom"}
INFO_TEXT_ELEMENTS = {"language": "language", "text": "text", "contentType": "contentType"}
ASSIGNMENT_ELEMENTS = {"number": "number", "numer": "number", "type": "type", "code": "code",
                       "document": "document", "text": "text"}
SINGLE = {"InfoTexts", "TextAssignments", "Details", "SubDetails", "text"}
OWN_NAMESPACES = frozenset((NAMESPACE, ""))  # the format's, or none


class Log:
    """The messages of one return: its position in the file is the log's row, its number
    (or guid) as the file gives it, or as it was numbered, the log's document."""

    def __init__(self, position: int):
        self.position = position
        self.document = None
        self.lines = []
        self.errors = 0

    def add(self, severity: str, path: str, field: str | None, value: object, reason: str,
            message: str) -> None:
        self.lines.append((severity, path, field, value, reason, message))
        if severity == ERROR:
            self.errors += 1

    def error(self, path: str, field: str | None, value: object, reason: str,
              message: str) -> None:
        self.add(ERROR, path, field, value, reason, message)

    def warning(self, path: str, field: str | None, value: object, reason: str,
                message: str) -> None:
        self.add(WARNING, path, field, value, reason, message)

    def info(self, path: str, field: str | None, value: object, reason: str,
             message: str) -> None:
        self.add(INFO, path, field, value, reason, message)


def read_elements(node: Node, known: dict[str, str], path: str, log: Log) -> Found:
    """{canonical name: [(node, path)]} of a node's children; unknown ones: a warning.
    (It runs for every element that has children: kept lean.)"""
    found = {}
    counts = {}
    for child in node.children:
        written = child.name
        if written in SINGLE:  # its path says which one of its name it is
            counts[written] = number = counts.get(written, 0) + 1
            child_path = f"{path}/{written}[{number}]"
        else:
            child_path = f"{path}/{written}"
        name = known.get(written)
        if name is None or child.namespace not in OWN_NAMESPACES:
            log.warning(child_path, written, None, "unknown_element",
                        f"Unknown element <{written}> ignored.")
            continue
        listed = found.get(name)
        if listed is None:
            found[name] = [(child, child_path)]
        else:
            listed.append((child, child_path))
    return found


def inner(found: Found, outer: str, known: dict[str, str], name: str,
          log: Log) -> tuple[Node | None, str | None]:
    """(node, path) of the `name` element inside the single `outer` element (a relation
    inside its data element, e.g. customerData/customer); (None, None) when absent."""
    outer_node, outer_path = first(found, outer)
    if outer_node is None:
        return None, None
    return first(read_elements(outer_node, known, outer_path, log), name)


def given_text(found: Found, name: str) -> str | None:
    """The text of a single-valued element, None when it is absent or empty."""
    node, _ = first(found, name)
    return node.text if node is not None and node.text else None


def first(found: Found, name: str) -> tuple[Node | None, str | None]:
    """The node of a single-valued element (the last one when it is repeated)."""
    nodes = found.get(name)
    return nodes[-1] if nodes else (None, None)


GUIDS_PER_READ = 1024


def _random_guids():
    """uuid4 texts (random, version 4, RFC 4122 variant) made a block at a time: a
    uuid.uuid4() per guid (one os.urandom call and a UUID object each) was a tenth of the
    import's time, as a return and its details take three guids."""
    while True:
        block = bytearray(os.urandom(16 * GUIDS_PER_READ))
        block[6::16] = bytes(byte & 0x0F | 0x40 for byte in block[6::16])  # version 4
        block[8::16] = bytes(byte & 0x3F | 0x80 for byte in block[8::16])  # RFC 4122
        text = block.hex()
        for at in range(0, len(text), 32):
            yield f"{text[at:at + 8]}-{text[at + 8:at + 12]}-{text[at + 12:at + 16]}-" \
                  f"{text[at + 16:at + 20]}-{text[at + 20:at + 32]}"


_next_guid = _random_guids().__next__


def _fresh_guids_after_fork():
    """A forked process (the queue's work horse) draws its own random bytes: the block
    its parent had read must not give both the same guids."""
    global _next_guid
    _next_guid = _random_guids().__next__


os.register_at_fork(after_in_child=_fresh_guids_after_fork)
_guid_lock = threading.Lock()  # imports may run in threads of one process


def new_guid() -> str:
    with _guid_lock:
        return _next_guid()


def type_node_text(node: Node | None) -> str:
    if node is None:
        return ""
    if node.children:
        return next((c.text for c in node.children if c.text), "")
    return node.text
