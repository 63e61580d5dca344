"""Customer returns planned set-wise per batch (issue 15): one query per batch per lookup,
new returns written table by table at the batch's end, and the rules unchanged when a
later return of the same batch updates one created earlier in it."""
import re

from sqlalchemy import event, select

from app.extensions import db
from app.models.tasks import utcnow
from tests.returns_helpers import (
    MINIMAL,
    check_counts,
    detail,
    doc,
    import_returns,
    stored_returns,
    write,
)


def _run_in_process(app, text, statements):
    """The import job in this process, every SQL statement it sends collected."""
    from app.extensions import db
    from app.services import directory
    from app.services.import_job import process_import
    from app.services.imports import create_import
    with app.app_context():
        imp = create_import(directory.get_org("D1"), "customer_returns", "r.xml",
                            text.encode())
        import_id = imp.id
        db.session.commit()

        def collect(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)
        event.listen(db.engine, "before_cursor_execute", collect)
        try:
            return process_import(import_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", collect)


def test_a_batch_of_returns_costs_a_few_statements_not_some_per_return(app, returns_d1):
    returns = [MINIMAL + (f"<number>N{n}</number>" if n % 2 else "")
               + detail() + detail(amount="2.5")
               + ("<InfoTexts><language>en</language><text>note</text></InfoTexts>"
                  if n % 3 == 0 else "") for n in range(60)]
    statements = []
    result = _run_in_process(app, doc(*returns), statements)
    assert (result["status"], result["accepted"], result["rejected"]) == ("archived", 60, 0)
    on = {table: [s for s in statements if re.search(rf'\b"?{table}"?\b', s)]
          for table in ("customer_return", "customer_return_detail", "return_info_text")}
    reads = [s for s in on["customer_return"] if s.lstrip().upper().startswith("SELECT")]
    # The stored returns named by type + number (one query), the window of new numbers.
    assert len(reads) <= 3, reads
    # One INSERT of every detail of the batch (on PostgreSQL a COPY, which the driver
    # runs outside the statements counted here: none at all).
    assert len([s for s in on["customer_return_detail"] if "INSERT" in s.upper()]) <= 1
    assert len([s for s in on["return_info_text"] if "INSERT" in s.upper()]) <= 1
    stored = stored_returns(app)
    assert len(stored) == 60
    assert sum(len(r["details"]) for r in stored.values()) == 120
    assert sum(len(r["texts"]) for r in stored.values()) == 20
    assert stored[("KR", "N1")]["details"] == [
        (10, "10010", "10", "pc", False, "in_preparation"),
        (20, "10010", "2.5", "pc", False, "in_preparation")]


def test_a_later_return_of_the_same_batch_updates_one_created_in_it(app, runner, returns_d1,
                                                                   tmp_path):
    guid = "0b0e2a4c-6f3e-4d7a-9d4e-000000000001"
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + f"<guid>{guid}</guid><number>R1</number>" + detail(),
        MINIMAL + "<number>R1</number>" + detail(amount="4")
        + "<InfoTexts><language>en</language><text>second</text></InfoTexts>",
        f"<guid>{guid}</guid>" + detail("<number>10</number>", item=None, amount="7"))))
    check_counts(app, out)
    assert (out["accepted"], out["rejected"]) == (3, 0)
    ret = stored_returns(app)[("KR", "R1")]
    assert ret["guid"] == guid
    assert [(d[0], d[2]) for d in ret["details"]] == [(10, "7"), (20, "4")]
    assert ret["texts"] == [("en", "second", "text/plain")]


def test_new_sub_details_and_unnumbered_text_lines_of_a_new_return(app, runner, returns_d1,
                                                                  tmp_path):
    line = ("<TextAssignments><type>note</type><text><language>en</language>"
            "<text>{}</text></text></TextAssignments>")
    sub = ("<SubDetails><item><number>10010</number></item><totalQuantity><amount>1</amount>"
           "</totalQuantity><InfoTexts><language>en</language><text>part</text></InfoTexts>"
           "</SubDetails>")
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R9</number>" + line.format("a") + line.format("b")
        + detail(sub + sub))))
    check_counts(app, out)
    ret = stored_returns(app)[("KR", "R9")]
    assert ret["assignments"] == [(1, "note", None, [("en", "a")]),
                                  (2, "note", None, [("en", "b")])]
    from app.extensions import db
    from app.models import CustomerReturnSubDetail, ReturnInfoText
    with app.app_context():
        subs = db.session.query(CustomerReturnSubDetail).order_by(
            CustomerReturnSubDetail.sub_number).all()
        assert [s.sub_number for s in subs] == [1, 2]
        assert all(s.detail.customer_return.number == "R9" for s in subs)
        texts = db.session.query(ReturnInfoText).filter(
            ReturnInfoText.sub_detail_id.isnot(None)).all()
        assert sorted(t.sub_detail_id for t in texts) == sorted(s.id for s in subs)
        assert all(t.detail_id == subs[0].detail_id for t in texts)


# Every rule of seed 004 in one file: created (numbered from the range, with an imported
# number, with a given guid), updated (stored by an earlier import, and created earlier in
# the same file), details added, changed, deleted and cancelled, sub-details, info texts
# and text assignments on header, detail and sub-detail, header status, autoRelease, and
# returns rejected with errors, warnings and infos.
GUID = "7d1c3a52-0000-4000-8000-00000000000{}"
SUB = ("<SubDetails><item><number>10010</number></item><totalQuantity><amount>1</amount>"
       "</totalQuantity><InfoTexts><language>en</language><text>part</text></InfoTexts>"
       "</SubDetails>")
TEXTS = ("<InfoTexts><language>en</language><text>Header <b>note</b></text></InfoTexts>"
         "<TextAssignments><type>note</type><text><language>de</language><text>Hallo</text>"
         "</text></TextAssignments>"
         "<TextAssignments><number>1</number><type>x</type></TextAssignments>"
         "<TextAssignments><number>4</number><code>TM1</code><text><language>en</language>"
         "<text>dropped</text></text></TextAssignments>")
EARLIER = [MINIMAL + "<number>S1</number>" + detail() + detail(amount="2"),
           MINIMAL + "<number>S2</number><status>blocked</status>",
           MINIMAL + "<number>S3</number>" + detail()]
EVERY_RULE = [
    MINIMAL + TEXTS + detail(SUB + SUB) + detail(amount="2.5", unit=None),
    MINIMAL + "<number>KR000900</number><date>2026-01-05</date>" + detail(),
    MINIMAL + f"<guid>{GUID.format(1)}</guid><number>G1</number>" + detail(
        "<InfoTexts><language>pl</language><text>Uszkodzony</text></InfoTexts>"
        "<TextAssignments><number>1</number><code>TM1</code></TextAssignments>"),
    MINIMAL + "<number>G1</number>" + detail(amount="4") + "<status>released</status>"
    + "<InfoTexts><language>en</language><text>second</text></InfoTexts>",
    f"<guid>{GUID.format(1)}</guid>" + detail("<number>10</number>", item=None, amount="7"),
    MINIMAL.replace("90000", "90001") + "<number>S1</number>"
    "<Details><number>10</number><totalQuantity><amount>3</amount></totalQuantity></Details>"
    '<Details action="delete"><number>20</number></Details>'
    + detail(item="P001", unit="btl", amount="1") + "<status>blocked</status>",
    MINIMAL + "<number>S2</number>" + detail("<status>released</status>"),
    MINIMAL + "<number>S3</number><Details><number>10</number><canceled>true</canceled>"
    "<totalQuantity><amount>99</amount></totalQuantity></Details>",
    MINIMAL + "<number>A1</number><autoRelease>true</autoRelease>" + detail(),
    MINIMAL + "<number>A2</number><autoRelease>true</autoRelease>" + detail(item="77"),
    MINIMAL + "<number>E1</number><unknown>x</unknown>" + detail(amount="-1"),
    MINIMAL + "<number>E2</number>" + detail("<canceled>true</canceled>"),
    MINIMAL + "<number>E3</number>" + detail("<number>10</number>")
    + detail("<number>10</number>"),
    MINIMAL + '<number>S1</number><Details action="delete"><number>90</number></Details>',
    MINIMAL + f"<guid>{GUID.format(2)}</guid><number>N15</number>" + detail(),
    MINIMAL + "<number>" + "9" * 41 + "</number>" + detail(),
    MINIMAL + "<number>E4</number><oops/>" + detail(amount="1.2345"),
    MINIMAL + "<number>W2</number><TextAssignments><number>1</number></TextAssignments>"
    "<TextAssignments><number>1</number></TextAssignments>" + detail(),
]


def _outcome(app, org, import_id, guids):
    """What an import left: every return of ORG as its tree (rows sorted, without ids and
    generated guids; master data by its code, a text's owner by its detail's and
    sub-detail's number), and the import's messages (its own org's guids named as
    GUID's)."""
    from app.importing.before_images import return_tree
    from app.models import (
        Customer,
        CustomerReturn,
        ImportBeforeImage,
        Organization,
        Partner,
        Product,
        ReturnType,
        UnitOfMeasure,
    )
    from tests.returns_helpers import log_lines
    with app.app_context():
        org_id = db.session.execute(select(Organization.id).where(Organization.code == org)
                                    ).scalar()
        codes = {}
        for column, model, code in (("customer_id", Customer, "code"),
                                    ("item_id", Product, "code"),
                                    ("partner_id", Partner, "number"),
                                    ("type_id", ReturnType, "code"),
                                    ("uom_id", UnitOfMeasure, "code")):
            codes.update({(column, i): c for i, c in db.session.execute(
                select(model.id, getattr(model, code))
                .where(model.organization_id == org_id))})
        returns = {}
        for ret in db.session.execute(select(CustomerReturn).where(
                CustomerReturn.organization_id == org_id)).scalars():
            tree = return_tree(db.session, ret.id)
            numbers = dict(codes)
            numbers.update({("detail_id", d["id"]): d["number"]
                            for d in tree["customer_return_detail"]})
            numbers.update({("sub_detail_id", s["id"]): s["sub_number"]
                            for s in tree["customer_return_sub_detail"]})
            numbers.update({("assignment_id", a["id"]): a["number"]
                            for a in tree["return_text_assignment"]})
            returns[(ret.type.code, ret.number)] = {
                name: sorted(repr(sorted(
                    (k, numbers.get((k, v), v)) for k, v in row.items()
                    if k not in ("id", "guid", "return_id", "organization_id", "import_id",
                                 "created_import_id", "principal_id", "date")
                    or (k == "date" and v != str(utcnow().date()))))
                    for row in rows)
                for name, rows in tree.items()}
        images = sorted((i.table_name, i.before is None) for i in db.session.execute(
            select(ImportBeforeImage).where(ImportBeforeImage.import_id == import_id)
        ).scalars())
    lines = [tuple(guids.get(str(v), v) if isinstance(v, str) else v for v in line)
             for line in log_lines(app, import_id)]
    for text, name in guids.items():
        lines = [tuple(v.replace(text, name) if isinstance(v, str) else v for v in line)
                 for line in lines]
    return returns, lines, images


def test_new_returns_written_set_wise_end_as_written_through_the_orm(app, runner, returns_d1,
                                                                     tmp_path, monkeypatch):
    """The batch writer of new returns (app.importing.returns.bulk) against the ORM path
    each new return took before it (still taken by a check and by autoRelease): the same
    file with every rule of seed 004 leaves the same returns and the same messages."""
    from app.importing.returns.planner import ReturnsImport
    from tests.factories import make_returns_distributor
    make_returns_distributor(app, "D2", second_partner=True)
    make_returns_distributor(app, "D3", second_partner=True)
    outcomes = []
    for org, through_orm in (("D2", False), ("D3", True)):
        if through_orm:
            original = ReturnsImport.__init__

            def orm_only(self, session, imp, original=original):
                original(self, session, imp)
                self.checking = True  # what makes `create` write through the ORM
            monkeypatch.setattr(ReturnsImport, "__init__", orm_only)
        # The file's guids are unique in the database: each organization has its own.
        guids = {GUID.format(n).replace("7d1c", f"7d{org[1]}c"): GUID.format(n)
                 for n in (1, 2)}

        def own(text, guids=guids):
            for mine, name in guids.items():
                text = text.replace(name, mine)
            return text
        import_returns(runner, write(tmp_path, own(doc(*EARLIER)), f"{org}-a.xml"), org)
        out = import_returns(runner, write(tmp_path, own(doc(*EVERY_RULE)), f"{org}-b.xml"),
                             org)
        check_counts(app, out)
        outcomes.append((out["rows"], out["accepted"], out["rejected"],
                         *_outcome(app, org, out["import_id"], guids)))
    bulk, orm = outcomes
    assert bulk[:3] == (18, 11, 7)
    assert {severity for severity, *_ in bulk[4]} == {"error", "warning", "info"}
    assert len(bulk[3]) == 9  # the returns of both files, none with an error
    assert bulk == orm
