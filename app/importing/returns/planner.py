"""One return at a time, in two steps: `plan` reads the return's elements, resolves every
reference and checks every rule (the rules per topic: references.py, header.py,
details.py, texts.py, status.py), collecting the messages with the element path and the
writes to make (ops); only when the return has no error are the ops applied. So a return
with an error is not written at all (the stored return, if any, stays as it was).

Set-wise per batch of returns (issue 15): `prefetch` finds the batch's stored returns
(by guid, and by type + number) with their details in one query per key kind; the master
data is loaded once per file (Masters); new numbers are checked against the stored ones
a window at a time; new returns with their details and texts are written together when
the batch commits (one flush), not one by one. A return that updates a stored one is
still written as it is planned (its rules read what the database holds)."""
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.importing.before_images import keep_return_image, return_tree, write_images
from app.importing.returns.bulk import NewReturns
from app.importing.returns.details import DetailRules
from app.importing.returns.elements import HEADER_ELEMENTS, KEY_ELEMENTS, Log
from app.importing.returns.header import HeaderRules
from app.importing.returns.reading import Node
from app.importing.returns.references import Masters, ReferenceRules
from app.importing.returns.status import StatusRules
from app.importing.returns.texts import TextRules
from app.models import CustomerReturn, CustomerReturnDetail, ImportFile, Organization


class ReturnsImport(HeaderRules, DetailRules, TextRules, StatusRules, ReferenceRules):
    """The rules of one file's returns; `process` plans and applies one return."""

    def __init__(self, session: Session, imp: ImportFile):
        self.session = session
        self.import_id, self.principal_id = imp.id, imp.principal_id
        org = session.get(Organization, imp.organization_id)
        self.org_id, self.org_code = org.id, org.code
        self.masters = Masters(session, self.org_id)
        self.stored = None  # the stored return being planned (None: a new one)
        self.before_tree = None  # a check only: the stored return's tree before
        self.checking = imp.dry_run  # a check writes through the ORM, in a savepoint
        self.new_returns = NewReturns()
        self.created_pending = []  # new returns written with the batch: imaged then
        self.batch_done()

    def write_new(self) -> None:
        """The batch's new returns written (before the batch commits), each noted as
        created by this import (undo removes it)."""
        self.new_returns.write(self.session)
        write_images(self.session, [(self.import_id, CustomerReturn.__tablename__, ret.id, None)
                                    for ret in self.created_pending])
        self.created_pending = []

    def batch_done(self) -> None:
        """The batch is committed: what was kept for it is forgotten (bounded memory)."""
        self.created_guids, self.created_numbers = {}, {}  # new returns of the batch
        self.prefetched = {}  # ("guid", g) / ("number", type_id, n) -> stored return or None
        self.number_windows = {}  # type id -> (candidate numbers, the stored ones)
        self.return_types = {}  # type id -> ReturnType (its number range moves)

    def prefetch(self, nodes: list[Node]) -> None:
        """The stored returns the batch's returns name by guid or by type + number, with
        their details and sub-details: one query per kind of key."""
        guids, numbers = set(), set()
        for node in nodes:
            given = {}
            for child in node.children:
                name = HEADER_ELEMENTS.get(child.name)
                if name in ("guid", "number", "type"):
                    given[name] = child
            guid = given["guid"].text if "guid" in given else ""
            number = given["number"].text if "number" in given else ""
            if guid:
                guids.add(guid)
            if number and "type" in given:
                type_id = _type_id(given["type"], self.masters)
                if type_id is not None:
                    numbers.add((type_id, number))
        if guids:
            found = self._stored(CustomerReturn.guid.in_(guids))
            self.prefetched.update({("guid", g): None for g in guids})
            self.prefetched.update({("guid", r.guid): r for r in found})
        if numbers:
            found = self._stored(CustomerReturn.number.in_({n for _, n in numbers}))
            self.prefetched.update({("number", t, n): None for t, n in numbers})
            self.prefetched.update({("number", r.type_id, r.number): r for r in found
                                    if (r.type_id, r.number) in numbers})

    def _stored(self, condition):
        return self.session.execute(
            select(CustomerReturn)
            .where(CustomerReturn.organization_id == self.org_id, condition)
            .options(selectinload(CustomerReturn.details)
                     .selectinload(CustomerReturnDetail.sub_details))).scalars().all()

    def process(self, position: int, node: Node, check: bool = False) -> Log:
        """Plan, then (without errors) apply one return; returns its Log."""
        log = Log(position)
        base = f"CustomerReturn[{position}]"
        ops = []
        auto_release = self.plan(node, base, log, ops)
        if log.errors:
            if auto_release:
                log.warning(f"{base}/autoRelease", "autoRelease", "true", "not_released",
                            "The customer return was not released automatically: its "
                            "import had errors.")
            return log
        # Before anything changes: the stored return's image (undo), in the batch's
        # transaction; a return it creates is noted once it exists.
        # A check only keeps the stored return's tree to compare instead (and is rolled
        # back by its caller).
        if self.stored is not None and check:
            self.before_tree = return_tree(self.session, self.stored.id)
        elif self.stored is not None:
            keep_return_image(self.session, self.import_id, self.stored.id)
        state = {}
        for op in ops:
            op(state)
        if state.get("bulk") and not check:
            self.created_pending.append(state["ret"])  # its id comes with write_new
        elif state.get("created") and not check:
            keep_return_image(self.session, self.import_id, state["ret"].id, created=True)
        if state.get("ret") is not None and state["ret"].number:
            log.document = state["ret"].number  # a return without a number was numbered
        return log


def _type_id(node, masters):
    """The return type a <type> element names (by code or guid), None when unknown."""
    value, kind = node.text, "key"
    for child in node.children:
        if KEY_ELEMENTS.get(child.name) and child.text:
            kind, value = KEY_ELEMENTS[child.name], child.text
    if not value:
        return None
    return (masters.type_guids if kind == "guid" else masters.types).get(value)
