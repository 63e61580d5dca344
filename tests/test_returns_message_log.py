"""The message log of a customer-returns file names each message's return by its number
(issue 17 item 10): a "Return" column instead of "Row", on the list, the show page and the
log's download; the rejection log of other files keeps its "Row"."""
import io

from lxml import html as lxml_html
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import CustomerReturn, ImportRejection
from tests.conftest import login, row_ids
from tests.factories import make_returns_distributor
from tests.returns_helpers import MINIMAL, detail, doc, import_returns, write


def _imported(app, runner, world, tmp_path):
    """Return RET-0042 rejected (unknown item 77), then a return without a number that
    is imported with a warning (a bad pickup date) and numbered by its type."""
    make_returns_distributor(app)
    world.user("sup_d1", "Supervisor", "D1")
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>RET-0042</number>" + detail(item="77"),
        MINIMAL + "<pickupDate>x</pickupDate>" + detail())))
    assert (out["accepted"], out["rejected"]) == (1, 1), out
    with app.app_context():
        numbered = db.session.execute(select(CustomerReturn.number)).scalar_one()
    return out["import_id"], numbered


def _table(page):
    tree = lxml_html.fromstring(page)
    table = tree.xpath("//table[.//th]")[0]
    headers = [" ".join(th.text_content().split()) for th in table.xpath(".//th")]
    rows = [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in table.xpath(".//tr[td]")]
    return headers, rows


def test_each_message_names_its_return_by_number(app, client, runner, world, tmp_path):
    import_id, numbered = _imported(app, runner, world, tmp_path)
    assert numbered and numbered != "RET-0042"
    with app.app_context():
        stored = {(r.severity, r.reason): (r.document, r.row) for r in db.session.execute(
            select(ImportRejection).where(ImportRejection.import_id == import_id)).scalars()}
    assert stored[("error", "unknown_item")] == ("RET-0042", 1)
    warnings = [doc_row for (severity, _), doc_row in stored.items() if severity == "warning"]
    assert warnings and all(document == numbered for document, _ in warnings)

    login(client, "sup_d1")
    page = client.get(f"/rejections/list/?_flt_0_import_file={import_id}"
                      ).get_data(as_text=True)
    assert "Message log: returns.xml" in page
    headers, rows = _table(page)
    assert "Return" in headers and "Row" not in headers
    assert "Element" in headers and "Column" not in headers  # an XML element's path
    place = headers.index("Return")
    by_message = {row[headers.index("Reason")]: row[place] for row in rows}
    assert by_message["Unknown item 77."] == "RET-0042"
    assert numbered in by_message.values()
    assert set(by_message.values()) <= {"RET-0042", numbered}  # no row numbers

    # The show page names the return too, and offers no "original row".
    pk = row_ids(page, "rejections")[0]
    shown = client.get(f"/rejections/show/{pk}").get_data(as_text=True)
    assert "Return" in shown and "The original row" not in shown
    assert "RET-0042" in shown or numbered in shown

    # The log's download: the return by number, then severity, element, value, message.
    response = client.get(f"/imports/rejected-rows/{import_id}")
    assert response.status_code == 200
    assert "returns_messages.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    lines = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert lines[0] == ["Return", "Severity", "Element", "Value", "Reason"]
    assert ["RET-0042", "error", "CustomerReturn[1]/Details[1]/item", "77",
            "Unknown item 77."] in lines
    assert {line[0] for line in lines[1:]} <= {"RET-0042", numbered}

    # The file's page names the log and its download as a message log.
    file_page = client.get(f"/imports/show/{import_id}").get_data(as_text=True)
    assert "Download message log" in file_page and "Download rejected rows" not in file_page


def test_a_return_without_number_or_guid_is_named_by_its_place(app, client, runner, world,
                                                                tmp_path):
    make_returns_distributor(app)
    world.user("sup_d1", "Supervisor", "D1")
    out = import_returns(runner, write(tmp_path, doc(MINIMAL + detail(item="77"))))
    login(client, "sup_d1")
    headers, rows = _table(client.get(f"/rejections/list/?_flt_0_import_file="
                                      f"{out['import_id']}").get_data(as_text=True))
    assert [row[headers.index("Return")] for row in rows] == [
        "Return 1 of the file, without a number"]


def test_the_log_of_every_file_keeps_the_row(app, client, runner, world, tmp_path):
    _imported(app, runner, world, tmp_path)
    login(client, "sup_d1")
    headers, _ = _table(client.get("/rejections/list/").get_data(as_text=True))
    assert "Row" in headers and "Return" not in headers
    assert "Column" in headers and "Element" not in headers
