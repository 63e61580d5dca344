"""The customer returns XML reader (seed 004, RET-1): streaming, one `CustomerReturn` at a
time, in bounded memory, and safe against hostile XML.

Pure Python (no Flask). `open_returns(path)` checks the whole file first (pass 1) and
raises `FileRejected` for anything wrong with the file as a whole; then
`ReturnsFile.returns()` (pass 2) yields `(position, Node)` per return, position being the
return's place in the file (1 = the first `CustomerReturn`), which is the "row" of the
import's message log.

Safety, in three layers:
- a DOCTYPE is refused before the parser sees the file: DTDs are what external entities
  (XXE), entity expansion (billion laughs) and DTD fetching need, and the format has no
  use for one. So nothing is read and nothing is fetched;
- the parser runs with entity resolution, DTD loading and network access off and
  huge_tree off (lxml 6.1: iterparse honours resolve_entities=False);
- a DOCTYPE the pre-scan could not see (after a prolog longer than the scanned head) is
  found on the parsed document's docinfo at the root's start event, before any return
  is read, and refused the same way.

Not well-formed XML is refused with the line and column lxml reports; it is never
repaired (no recover=True), and since pass 1 covers the whole file, nothing of such a
file is imported.
"""
import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from app.importing.faults import FileRejected

NAMESPACE = "com.cisag.app.sales.customerreturn.obj.CustomerReturn"
ROOT = "semiramis"
RECORD = "CustomerReturn"
HEAD_SIZE = 64 * 1024
PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                      huge_tree=False, remove_blank_text=False)
MAX_TOP_LEVEL_WARNINGS = 100
MARKUP_ELEMENT = "text"  # the element whose inner content is kept with its markup

DOCTYPE_MESSAGE = ("The file declares a DOCTYPE{where}: DTDs and entities are refused, as "
                   "they can read local files or fetch URLs. Remove the DOCTYPE and upload "
                   "the file again. Nothing was imported.")


class Node:
    """An element of a return, namespace stripped: its name as written, its text
    (stripped), its child elements, its attributes and its namespace; `markup`: the inner
    content with child elements as markup (a text's; otherwise the text)."""
    __slots__ = ("name", "text", "children", "attrib", "namespace", "markup")

    def __init__(self, name: str, text: str = "", children: list | None = None,
                 attrib: dict | None = None, namespace: str = NAMESPACE,
                 markup: str | None = None):
        self.name, self.text, self.namespace = name, text, namespace
        self.children = [] if children is None else children
        self.attrib = {} if attrib is None else attrib
        self.markup = text if markup is None else markup

    def __repr__(self):
        return f"Node({self.name!r}, {self.text!r}, {len(self.children)} children)"


def _localname(tag):
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _namespace(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _plain_copy(element):
    """The element without namespaces (for inner markup of a text)."""
    copy = etree.Element(_localname(element.tag))
    copy.text = element.text
    copy.tail = element.tail
    for name, value in element.attrib.items():
        copy.set(_localname(name), value)
    for child in element:
        if isinstance(child.tag, str):
            copy.append(_plain_copy(child))
    return copy


def to_node(element: etree._Element) -> Node:
    """The Node of an lxml element and its child elements (comments and processing
    instructions left out). It runs for every element of every return, so it walks the
    subtree with lxml's own iterator (document order: a parent before its children)
    rather than a Python call per element, and fills the Node's slots without a call."""
    made = {}
    top = None
    new = Node.__new__
    for each in element.iter(etree.Element):  # elements only, not comments
        node = new(Node)
        tag = each.tag
        if tag[0] == "{":
            node.namespace, _, node.name = tag[1:].partition("}")
        else:
            node.namespace, node.name = "", tag
        text = each.text
        node.text = node.markup = text.strip() if text else ""
        items = each.items()
        node.attrib = {_localname(k): v for k, v in items} if items else {}
        node.children = []
        if node.name == MARKUP_ELEMENT and len(each):
            node.markup = _inner_markup(each)
        made[each] = node
        if top is None:
            top = node
        else:
            made[each.getparent()].children.append(node)
    return top


def _inner_markup(element):
    """A text's inner content with its child elements as markup (only a text's markup
    is ever read); its stripped text when it has no child element."""
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return (element.text or "").strip()
    inner = (element.text or "") + "".join(
        etree.tostring(_plain_copy(child), encoding=str, with_tail=True)
        for child in children)
    return inner.strip()


# --- pass 0: the prolog ------------------------------------------------------------------

_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def _head_text(head):
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return head.decode("utf-16", errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    if len(head) > 1 and head[0] == 0 or len(head) > 1 and head[1] == 0:
        return head.decode("utf-16-be" if head[0] == 0 else "utf-16-le", errors="replace")
    return head.decode("latin-1")  # only the ASCII markup of the prolog matters here


def _line_column(text, offset):
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def check_prolog(head: bytes) -> None:
    """Refuse a DOCTYPE in the prolog, before any parser runs."""
    text = _head_text(head)
    position = 0
    while True:
        match = _PROLOG_ITEM.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
    if text.startswith("<!DOCTYPE", position) or text.startswith("<!doctype", position):
        line, column = _line_column(text, position)
        raise FileRejected("doctype_refused", DOCTYPE_MESSAGE.format(
            where=f" (line {line}, column {column})"))
    if not text.strip():
        raise FileRejected("empty_file", "The file is empty.")


def syntax_error(exc: etree.XMLSyntaxError) -> FileRejected:
    line, column = exc.position if exc.position else (exc.lineno, (exc.offset or 0) + 1)
    reason = re.sub(r", line \d+, column \d+$", "", (exc.msg or str(exc)).strip())
    return FileRejected("not_well_formed",
                        f"The file is not well-formed XML: line {line}, column {column}: "
                        f"{reason}. Nothing was imported: correct the file (it is never "
                        "repaired automatically) and upload it again.")


def _check_root(element):
    name, namespace = _localname(element.tag), _namespace(element.tag)
    doctype = element.getroottree().docinfo.doctype
    if doctype:
        raise FileRejected("doctype_refused", DOCTYPE_MESSAGE.format(where=""))
    if name != ROOT:
        raise FileRejected("wrong_root",
                           f"The root element is <{name}>; a customer returns file has the "
                           f"root <{ROOT}> in the namespace {NAMESPACE}.")
    if namespace != NAMESPACE:
        given = f"the namespace {namespace}" if namespace else "no namespace"
        raise FileRejected("wrong_namespace",
                           f"The root element <{ROOT}> has {given}; a customer returns file "
                           f"uses the namespace {NAMESPACE}.")


@dataclass
class TopLevelWarning:
    line: int
    name: str


class ReturnsFile:
    """A checked customer returns file: `count` returns, `warnings` about top-level
    elements that are not returns; `returns()` streams them."""

    def __init__(self, path: str, count: int, warnings: list, skipped_warnings: int):
        self.path = path
        self.count = count
        self.warnings = warnings
        self.skipped_warnings = skipped_warnings

    def returns(self) -> Iterator[tuple[int, Node]]:
        position = 0
        context = etree.iterparse(self.path, events=("end",), tag=f"{{{NAMESPACE}}}{RECORD}",
                                  **PARSER_OPTIONS)
        try:
            for _, element in context:
                parent = element.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # a CustomerReturn nested somewhere else: not a return
                position += 1
                node = to_node(element)
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del parent[0]
                yield position, node
        except etree.XMLSyntaxError as exc:  # the file changed between the passes
            raise syntax_error(exc) from None
        finally:
            del context


def open_returns(path: str) -> "ReturnsFile":
    """Pass 1 over the whole file: prolog, root, namespace, well-formedness, the number of
    returns, and warnings for top-level elements that are not returns."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_SIZE)
    check_prolog(head)
    count, warnings, skipped = 0, [], 0
    context = etree.iterparse(path, events=("start",), **PARSER_OPTIONS)
    root = None
    try:
        for _, element in context:
            if root is None:
                _check_root(element)
                root = element
                continue
            if element.getparent() is not root:
                continue
            while element.getprevious() is not None:
                del root[0]
            if _localname(element.tag) == RECORD and _namespace(element.tag) == NAMESPACE:
                count += 1
            elif isinstance(element.tag, str):
                if len(warnings) < MAX_TOP_LEVEL_WARNINGS:
                    warnings.append(TopLevelWarning(element.sourceline or 0,
                                                    _localname(element.tag)))
                else:
                    skipped += 1
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc) from None
    finally:
        del context
    if root is None:
        raise FileRejected("empty_file", "The file is empty.")
    return ReturnsFile(path, count, warnings, skipped)
