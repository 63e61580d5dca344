"""One return at a time, in two steps: `plan` reads the return's elements, resolves every
reference and checks every rule (the rules per topic: references.py, header.py,
details.py, texts.py, status.py), collecting the messages with the element path and the
writes to make (ops); only when the return has no error are the ops applied. So a return
with an error is not written at all (the stored return, if any, stays as it was)."""
from app.importing.before_images import keep_return_image, return_tree
from app.importing.returns.details import DetailRules
from app.importing.returns.elements import Log
from app.importing.returns.header import HeaderRules
from app.importing.returns.reading import Node
from app.importing.returns.references import Masters, ReferenceRules
from app.importing.returns.status import StatusRules
from app.importing.returns.texts import TextRules
from app.models import Organization


class ReturnsImport(HeaderRules, DetailRules, TextRules, StatusRules, ReferenceRules):
    """The rules of one file's returns; `process` plans and applies one return."""

    def __init__(self, session, imp):
        self.session = session
        self.import_id, self.principal_id = imp.id, imp.principal_id
        org = session.get(Organization, imp.organization_id)
        self.org_id, self.org_code = org.id, org.code
        self.masters = Masters(session, self.org_id)
        self.stored = None  # the stored return being planned (None: a new one)
        self.before_tree = None  # a check only: the stored return's tree before

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
        if state.get("created") and not check:
            keep_return_image(self.session, self.import_id, state["ret"].id, created=True)
        if state.get("ret") is not None and state["ret"].number:
            log.document = state["ret"].number  # a return without a number was numbered
        return log
