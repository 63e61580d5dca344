"""Customer returns planned set-wise per batch (issue 15): one query per batch per lookup,
new returns written table by table at the batch's end, and the rules unchanged when a
later return of the same batch updates one created earlier in it."""
import re

from sqlalchemy import event

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
