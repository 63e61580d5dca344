"""Customer returns (RET-1) through the import job: the seed's samples, creation,
lookups, updates, details, cancellation, status, control locks, autoRelease, texts and
the message log. Each rule with its exact message."""
import pytest

from tests.factories import make_returns_distributor
from tests.returns_helpers import (
    DATA,
    MINIMAL,
    check_counts,
    detail,
    doc,
    import_returns,
    log_lines,
    stored_returns,
    write,
)


def test_seed_sample_with_consistent_tags_imports(app, runner, returns_d1):
    out = import_returns(runner, str(DATA / "seed_minimal.xml"))
    check_counts(app, out)
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == \
        ("archived", 1, 1, 0)
    returns = stored_returns(app)
    assert list(returns) == [("KR", "KR000001")]
    ret = returns[("KR", "KR000001")]
    assert (ret["partner"], ret["customer"], ret["status"]) == ("90000", "10010",
                                                                "in_preparation")
    assert ret["details"] == [(10, "10010", "10", "pc", False, "in_preparation")]


def test_seed_sample_as_published_is_not_well_formed(app, runner, returns_d1):
    out = import_returns(runner, str(DATA / "seed_minimal_as_published.xml"), ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {
        "reason": "not_well_formed",
        "message": "The file is not well-formed XML: line 13, column 11: Opening and ending "
                   "tag mismatch: partner line 11 and Partner. Nothing was imported: correct "
                   "the file (it is never repaired automatically) and upload it again."}
    assert stored_returns(app) == {}


def test_seed_info_text_sample_updates_the_return_found_by_type_and_number(app, runner, returns_d1,
                                                                         tmp_path):
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>ABC123</number>" + detail())))
    out = import_returns(runner, str(DATA / "seed_info_text.xml"))
    check_counts(app, out)
    assert (out["accepted"], out["rejected"], out.get("messages")) == (1, 0, None)
    ret = stored_returns(app)[("KR", "ABC123")]
    assert ret["texts"] == [("pl", "<html>Tekst informacyjny bazy</html>", "text/html")]
    assert len(ret["details"]) == 1


def test_create_takes_defaults_and_numbers_from_the_range(app, runner, returns_d1, tmp_path):
    """The only sales organization is the default; numbers come from the type's range;
    the unit defaults to the item's unit; detail numbers go 10, 20."""
    minimal = ("<customerData><customer><number>10010</number></customer></customerData>"
               "<type><code>KR</code></type>")
    out = import_returns(runner, write(tmp_path, doc(
        minimal + detail(unit=None) + detail(amount="2.5"), minimal)))
    check_counts(app, out)
    assert (out["accepted"], out["rejected"]) == (2, 0)
    returns = stored_returns(app)
    assert list(returns) == [("KR", "KR000001"), ("KR", "KR000002")]
    assert returns[("KR", "KR000001")]["partner"] == "90000"
    assert [d[:4] for d in returns[("KR", "KR000001")]["details"]] == [
        (10, "10010", "10", "pc"), (20, "10010", "2.5", "pc")]


def test_imported_number_in_the_range_moves_the_range(app, runner, returns_d1, tmp_path):
    out = import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>KR000007</number>",
                                                     MINIMAL)))
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/number", "field": "number", "value": "KR000007",
        "reason": "number_range", "severity": "info",
        "message": "Number KR000007 lies in the number range of type KR: the range continues "
                   "at KR000008, so it is never assigned again."}]
    assert list(stored_returns(app)) == [("KR", "KR000007"), ("KR", "KR000008")]


def test_several_sales_organizations_need_one_in_the_file(app, runner, tmp_path):
    make_returns_distributor(app, second_partner=True)
    out = import_returns(runner, write(tmp_path, doc(
        "<customerData><customer><number>10010</number></customer></customerData>"
        "<type><code>KR</code></type>")))
    check_counts(app, out)
    assert out["rejections"] == [{
        "row": 1, "column": "CustomerReturn[1]/invoicingPartyData/partner", "field": "partner",
        "value": None, "reason": "required",
        "message": "The sales organization (invoicingPartyData.partner) is required: D1 has "
                   "2 sales organizations."}]


@pytest.mark.parametrize("body, column, field, value, reason, message", [
    (MINIMAL.replace("10010", "99999") + detail(), "CustomerReturn[1]/customerData/CustomerPartner",
     "CustomerPartner", "99999", "unknown_customer", "Unknown customer 99999."),
    (MINIMAL + detail(item="77"), "CustomerReturn[1]/Details[1]/item", "item", "77",
     "unknown_item", "Unknown item 77."),
    (MINIMAL.replace("KR", "ZZ") + detail(), "CustomerReturn[1]/Type", "Type", "ZZ",
     "unknown_type", "Unknown return type ZZ."),
    (MINIMAL + detail(unit="kg"), "CustomerReturn[1]/Details[1]/totalQuantity/uom", "uom", "kg",
     "unknown_unit", "Unknown unit kg."),
    (MINIMAL + detail(amount="ten"), "CustomerReturn[1]/Details[1]/totalQuantity/amount",
     "amount", "ten", "invalid_number", "Quantity 'ten' is not a number."),
    (MINIMAL + detail(amount="-1"), "CustomerReturn[1]/Details[1]/totalQuantity/amount",
     "amount", "-1", "not_positive", "Quantity -1 must be greater than zero."),
    (MINIMAL.replace("90000", "123") + detail(),
     "CustomerReturn[1]/invoicingPartyData/partner", "partner", "123", "unknown_partner",
     "Unknown sales organization 123."),
    (MINIMAL + detail(item=None), "CustomerReturn[1]/Details[1]/item", "item", None,
     "required", "The item (<item>) is required to create a detail."),
    (MINIMAL + detail(amount=None), "CustomerReturn[1]/Details[1]/totalQuantity",
     "totalQuantity", None, "required",
     "The quantity (<totalQuantity>) is required to create a detail."),
    ("<guid>0000-none</guid>" + detail(), "CustomerReturn[1]/guid", "guid", "0000-none",
     "unknown_guid", "No customer return with guid 0000-none."),
    (MINIMAL.replace("<customerData><CustomerPartner><number>10010</number></CustomerPartner>"
                     "</customerData>", ""), "CustomerReturn[1]/customerData/customer",
     "customer", None, "required",
     "The customer (customerData.customer) is required to create a customer return."),
])
def test_bad_values_reject_the_return_with_its_path(app, runner, returns_d1, tmp_path, body, column,
                                                    field, value, reason, message):
    out = import_returns(runner, write(tmp_path, doc(MINIMAL + detail(), body)))
    check_counts(app, out)
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == \
        ("needs_attention", 2, 1, 1)
    assert out["rejections"] == [{"row": 2, "column": column.replace("[1]", "[2]", 1),
                                  "field": field, "value": value, "reason": reason,
                                  "message": message}]
    assert len(stored_returns(app)) == 1  # a return with an error is not written at all


def test_unknown_elements_are_ignored_with_a_warning(app, runner, returns_d1, tmp_path):
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<pickupDate>2025-01-01</pickupDate>"
        + detail("<reasonText>broken</reasonText>")).replace(
            "</semiramis>", "<Extra/></semiramis>")))
    check_counts(app, out)
    assert (out["accepted"], out["rejected"]) == (1, 0)
    assert [(m["row"], m["column"], m["severity"], m["message"]) for m in out["messages"]] == [
        (None, "semiramis/Extra", "warning",
         "Unknown element <Extra> (line 4) ignored: it is not a CustomerReturn."),
        (1, "CustomerReturn[1]/pickupDate", "warning", "Unknown element <pickupDate> ignored."),
        (1, "CustomerReturn[1]/Details[1]/reasonText", "warning",
         "Unknown element <reasonText> ignored."),
    ]


def test_lookup_by_guid_and_update_keeps_the_sales_organization(app, runner, tmp_path):
    make_returns_distributor(app, second_partner=True)
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R1</number>" + detail())))
    guid = stored_returns(app)[("KR", "R1")]["guid"]
    out = import_returns(runner, write(tmp_path, doc(
        f"<guid>{guid}</guid><invoicingPartyData><Partner><number>90001</number></Partner>"
        "</invoicingPartyData><Details><number>10</number><totalQuantity><amount>4</amount>"
        "</totalQuantity></Details>"), "b.xml"))
    check_counts(app, out)
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/invoicingPartyData/Partner", "field": "partner",
        "value": "90001", "reason": "ignored", "severity": "info",
        "message": "The sales organization is taken from the stored customer return (90000); "
                   "90001 in the file is ignored."}]
    ret = stored_returns(app)[("KR", "R1")]
    assert ret["partner"] == "90000"
    assert ret["details"] == [(10, "10010", "4", "pc", False, "in_preparation")]


def test_details_added_changed_and_deleted(app, runner, returns_d1, tmp_path):
    import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number>" + detail() + detail(amount="2"))))
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number>"
        "<Details><number>10</number><totalQuantity><amount>3</amount></totalQuantity></Details>"
        '<Details action="delete"><number>20</number></Details>'
        + detail(item="P001", unit="btl", amount="1")), "b.xml"))
    check_counts(app, out)
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/Details[2]", "field": "action",
        "value": "delete", "reason": "deleted", "severity": "info",
        "message": "Detail 20 is deleted."}]
    assert [d[:4] for d in stored_returns(app)[("KR", "R1")]["details"]] == [
        (10, "10010", "3", "pc"), (20, "P001", "1", "btl")]


def test_deleting_a_detail_that_does_not_exist(app, runner, returns_d1, tmp_path):
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R1</number>" + detail())))
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + '<number>R1</number><Details action="delete"><number>30</number></Details>'),
        "b.xml"))
    assert out["rejections"] == [{
        "row": 1, "column": "CustomerReturn[1]/Details[1]", "field": "action",
        "value": "delete", "reason": "unknown_detail",
        "message": "There is no detail 30 to delete."}]


def test_a_detail_cannot_be_created_and_cancelled_in_one_import(app, runner, returns_d1, tmp_path):
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + detail("<canceled>true</canceled>"))))
    check_counts(app, out)
    assert out["rejections"] == [{
        "row": 1, "column": "CustomerReturn[1]/Details[1]/canceled", "field": "canceled",
        "value": "true", "reason": "create_and_cancel",
        "message": "A detail cannot be created and cancelled in the same import: import it "
                   "first, then cancel it with a second import."}]
    assert stored_returns(app) == {}


def test_created_in_one_return_cancelled_in_a_later_one_of_the_same_file(app, runner, returns_d1,
                                                                        tmp_path):
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number>" + detail(),
        MINIMAL + "<number>R1</number><Details><number>10</number><canceled>true</canceled>"
        "</Details>")))
    assert out["rejections"] == [{
        "row": 2, "column": "CustomerReturn[2]/Details[1]/canceled", "field": "canceled",
        "value": "true", "reason": "create_and_cancel",
        "message": "Detail 10 was created by this import: it cannot be cancelled in the same "
                   "import. Cancel it with a second import."}]


def test_cancel_ignores_other_values_and_cancelled_details_ignore_values(app, runner, returns_d1,
                                                                        tmp_path):
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R1</number>" + detail())))
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number><Details><number>10</number><canceled>true</canceled>"
        "<totalQuantity><amount>99</amount></totalQuantity></Details>"), "b.xml"))
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/Details[1]", "field": None, "value": None,
        "reason": "ignored", "severity": "info",
        "message": "Detail 10 is cancelled: the other values given for it are ignored."}]
    assert stored_returns(app)[("KR", "R1")]["details"] == [
        (10, "10010", "10", "pc", True, "in_preparation")]
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number><Details><number>10</number>"
        "<totalQuantity><amount>5</amount></totalQuantity></Details>"), "c.xml"))
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/Details[1]", "field": None, "value": None,
        "reason": "ignored", "severity": "info",
        "message": "Detail 10 is cancelled: the values given for it are ignored."}]
    assert stored_returns(app)[("KR", "R1")]["details"][0][2] == "10"


def test_header_status_applies_only_without_details(app, runner, returns_d1, tmp_path):
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number><status>blocked</status>",
        MINIMAL + "<number>R2</number><status>blocked</status>" + detail())))
    returns = stored_returns(app)
    assert returns[("KR", "R1")]["status"] == "blocked"
    assert returns[("KR", "R2")]["status"] == "in_preparation"
    assert out["messages"] == [{
        "row": 2, "column": "CustomerReturn[2]/status", "field": "status", "value": "blocked",
        "reason": "ignored", "severity": "info",
        "message": "The customer return has details: its status follows them, the header "
                   "status is ignored."}]


def test_detail_status_is_ignored_while_the_return_is_blocked(app, runner, returns_d1, tmp_path):
    import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number><status>blocked</status>")))
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number>" + detail("<status>released</status>")), "b.xml"))
    assert out["messages"][0]["message"] == ("The customer return is blocked: the status of "
                                             "its details is ignored.")
    assert stored_returns(app)[("KR", "R1")]["details"][0][5] == "in_preparation"


def test_control_lock_refuses_changes(app, runner, returns_d1, tmp_path):
    from app.extensions import db
    from app.models import CustomerReturn
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R1</number>" + detail())))
    with app.app_context():
        ret = db.session.query(CustomerReturn).one()
        ret.control_lock, ret.control_lock_reason = True, "released with follow-up documents"
        db.session.commit()
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number>" + detail(amount="7")), "b.xml"))
    check_counts(app, out)
    assert out["rejections"] == [{
        "row": 1, "column": "CustomerReturn[1]", "field": None, "value": "KR R1",
        "reason": "control_lock",
        "message": "Customer return KR R1 has a control lock (released with follow-up "
                   "documents): changes are refused."}]
    assert len(stored_returns(app)[("KR", "R1")]["details"]) == 1


def test_auto_release_after_an_error_free_import(app, runner, returns_d1, tmp_path, monkeypatch):
    """While it is imported the return is Invalid; released at the end."""
    from app.extensions import db
    from app.importing.returns import planner
    from app.models import CustomerReturn
    seen = []
    original = planner.ReturnsImport.plan_status

    def spy(self, found, base, log, ops, auto_release):
        def look(state):
            seen.append(str(db.session.get(CustomerReturn, state["ret"].id).status))
        ops.append(look)
        return original(self, found, base, log, ops, auto_release)
    monkeypatch.setattr(planner.ReturnsImport, "plan_status", spy)
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number><autoRelease>true</autoRelease>" + detail())))
    assert seen == ["invalid"]
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/autoRelease", "field": "autoRelease",
        "value": "true", "reason": "released", "severity": "info",
        "message": "Customer return KR R1 was released automatically after an error-free "
                   "import."}]
    ret = stored_returns(app)[("KR", "R1")]
    assert ret["status"] == "released" and ret["details"][0][5] == "released"


def test_auto_release_with_errors_stays_unreleased_with_a_warning(app, runner, returns_d1,
                                                                  tmp_path):
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R1</number>" + detail())))
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number><autoRelease>true</autoRelease>" + detail(item="77")),
        "b.xml"))
    check_counts(app, out)
    assert out["rejections"][0]["reason"] == "unknown_item"
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/autoRelease", "field": "autoRelease",
        "value": "true", "reason": "not_released", "severity": "warning",
        "message": "The customer return was not released automatically: its import had "
                   "errors."}]
    assert stored_returns(app)[("KR", "R1")]["status"] == "in_preparation"


def test_info_texts_and_text_assignments_on_header_and_details(app, runner, returns_d1, tmp_path):
    texts = ("<InfoTexts><language>en</language><text>Header note</text></InfoTexts>"
             "<TextAssignments><number>1</number><type>note</type><text><language>de"
             "</language><text>Hallo</text><contentType>text/plain</contentType></text>"
             "</TextAssignments>")
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R1</number>" + texts + detail(
            "<InfoTexts><language>pl</language><text>Uszkodzony</text></InfoTexts>"
            "<TextAssignments><number>1</number><code>TM1</code></TextAssignments>"))))
    check_counts(app, out)
    ret = stored_returns(app)[("KR", "R1")]
    assert ret["texts"] == [("en", "Header note", "text/plain")]
    assert ret["assignments"] == [(1, "note", None, [("de", "Hallo")])]
    from app.extensions import db
    from app.models import ReturnInfoText, ReturnTextAssignment
    with app.app_context():
        detail_texts = db.session.query(ReturnInfoText).filter(
            ReturnInfoText.detail_id.isnot(None)).all()
        assert [(t.language, t.text) for t in detail_texts] == [("pl", "Uszkodzony")]
        assignment = db.session.query(ReturnTextAssignment).filter(
            ReturnTextAssignment.detail_id.isnot(None)).one()
        assert (assignment.number, assignment.code) == (1, "TM1")


def test_text_line_numbers_must_be_unique(app, runner, returns_d1, tmp_path):
    line = ("<TextAssignments><number>1</number><text><language>en</language><text>{}</text>"
            "</text></TextAssignments>")
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + line.format("first") + line.format("second"))))
    assert out["messages"] == [{
        "row": 1, "column": "CustomerReturn[1]/TextAssignments[2]/number", "field": "number",
        "value": "1", "reason": "duplicate_text_number", "severity": "warning",
        "message": "Text line number 1 is given twice: only one entry is kept (the last one)."}]
    ret = next(iter(stored_returns(app).values()))
    assert ret["assignments"] == [(1, None, None, [("en", "second")])]


def test_messages_are_in_the_rejection_log_with_severity(app, runner, returns_d1, tmp_path):
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<pickupDate>x</pickupDate>" + detail(item="77"))))
    assert log_lines(app, out["import_id"]) == [
        ("warning", 1, "CustomerReturn[1]/pickupDate", "unknown_element",
         "Unknown element <pickupDate> ignored."),
        ("error", 1, "CustomerReturn[1]/Details[1]/item", "unknown_item", "Unknown item 77."),
    ]


def test_batches_commit_counts_and_keep_going(app, runner, returns_d1, tmp_path, monkeypatch):
    """Small batches: the session is emptied between them, counts add up."""
    monkeypatch.setitem(app.config, "IMPORT_BATCH_SIZE", 2)
    out = import_returns(runner, write(tmp_path, doc(
        *[MINIMAL + f"<number>R{n}</number>" + detail() for n in range(5)],
        MINIMAL + detail(item="77"), MINIMAL + "<number>R1</number>" + detail(amount="3"))))
    check_counts(app, out)
    assert (out["rows"], out["accepted"], out["rejected"]) == (7, 6, 1)
    returns = stored_returns(app)
    assert len(returns) == 5 and returns[("KR", "R1")]["details"][1][2] == "3"
