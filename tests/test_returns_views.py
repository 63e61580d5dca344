"""Customer return screens: list with search, show with details and texts as related
views, tenant scoping, read-only for Importer and Supervisor."""
from tests.conftest import denied, login, row_ids
from tests.factories import make_returns_distributor
from tests.returns_helpers import MINIMAL, detail, doc, import_returns, write


def setup_returns(app, runner, world, tmp_path):
    make_returns_distributor(app)
    make_returns_distributor(app, code="D2")
    world.user("imp_d1", "Importer", "D1")
    world.user("sup_d1", "Supervisor", "D1")
    world.user("root", "Admin")
    import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<number>R-ONE</number><InfoTexts><language>en</language><text>Header note"
        "</text></InfoTexts>" + detail(), MINIMAL + "<number>R-TWO</number>")))
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R-OTHER</number>"), "d2.xml"),
                   "D2")


def test_list_search_and_show_with_related_views(app, client, runner, world, tmp_path):
    setup_returns(app, runner, world, tmp_path)
    login(client, "imp_d1")
    page = client.get("/customerreturnview/list/").get_data(as_text=True)
    assert "R-ONE" in page and "R-TWO" in page and "R-OTHER" not in page
    found = client.get("/customerreturnview/list/?_flt_0_number=R-ONE").get_data(as_text=True)
    assert "R-ONE" in found and "R-TWO" not in found
    pk = row_ids(found, "customerreturnview")[0]
    show = client.get(f"/customerreturnview/show/{pk}")
    assert show.status_code == 200
    text = show.get_data(as_text=True)
    assert "Header note" in text and "10010" in text


def test_other_organizations_returns_are_not_found(app, client, runner, world, tmp_path):
    setup_returns(app, runner, world, tmp_path)
    login(client, "root")
    page = client.get("/customerreturnview/list/?_flt_0_number=R-OTHER").get_data(as_text=True)
    other = row_ids(page, "customerreturnview")[0]
    login(client, "sup_d1")
    assert client.get(f"/customerreturnview/show/{other}").status_code == 404


def test_importer_reads_only_admin_changes(app, client, runner, world, tmp_path):
    setup_returns(app, runner, world, tmp_path)
    login(client, "imp_d1")
    assert denied(client.get("/customerreturnview/add"))
    page = client.get("/customerreturnview/list/?_flt_0_number=R-ONE").get_data(as_text=True)
    pk = row_ids(page, "customerreturnview")[0]
    assert denied(client.get(f"/customerreturnview/edit/{pk}"))
    login(client, "root")
    from app.extensions import db
    from app.models import CustomerReturn
    with app.app_context():
        ret = db.session.get(CustomerReturn, pk)
        customer_id, date = ret.customer_id, ret.date.isoformat()
    response = client.post(f"/customerreturnview/edit/{pk}",
                           data={"customer": str(customer_id), "date": date,
                                 "control_lock": "y",
                                 "control_lock_reason": "follow-up documents",
                                 "status": "released"})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with app.app_context():
        ret = db.session.get(CustomerReturn, pk)
        assert (ret.control_lock, ret.control_lock_reason) == (True, "follow-up documents")


def test_message_log_in_the_rejection_log_with_severity_and_path(app, client, runner, world,
                                                                 tmp_path):
    make_returns_distributor(app)
    world.user("sup_d1", "Supervisor", "D1")
    out = import_returns(runner, write(tmp_path, doc(
        MINIMAL + "<pickupDate>x</pickupDate>" + detail(item="77"))))
    login(client, "sup_d1")
    page = client.get(f"/rejections/list/?_flt_0_import_file={out['import_id']}"
                      ).get_data(as_text=True)
    assert "CustomerReturn[1]/Details[1]/item" in page and "Unknown item 77." in page
    assert "CustomerReturn[1]/pickupDate" in page and "warning" in page and "error" in page


def test_a_returns_state_reads_in_the_readers_language(app, client, runner, world, tmp_path):
    """Issue 16: the list's state column in Indonesian, English unchanged."""
    setup_returns(app, runner, world, tmp_path)
    login(client, "imp_d1")
    assert "In preparation" in client.get("/customerreturnview/list/").get_data(as_text=True)
    client.get("/lang/id")
    page = client.get("/customerreturnview/list/").get_data(as_text=True)
    assert "Dalam persiapan" in page and "In preparation" not in page


def test_a_date_is_typed_and_shown_the_readers_way_in_a_form(app, client, runner, world,
                                                             tmp_path):
    """Issue 16: the date input of a form shows the stored date the page's way and takes
    05/11/2026 (day first, as the Indonesian calendar writes it) or ISO."""
    import datetime as dt
    import re

    from sqlalchemy import select

    from app.extensions import db
    from app.models import CustomerReturn
    from tests.factories import flashes, submit
    setup_returns(app, runner, world, tmp_path)
    with app.app_context():
        pk = db.session.execute(select(CustomerReturn.id)
                                .filter_by(number="R-ONE")).scalar_one()

    def stored():
        with app.app_context():
            return db.session.get(CustomerReturn, pk).date

    login(client, "root")
    url = f"/customerreturnview/edit/{pk}"
    client.get("/lang/id")
    response = submit(client, url, {"date": "05/11/2026"})
    assert flashes(response, "danger") == [] and stored() == dt.date(2026, 11, 5)
    page = client.get(url).get_data(as_text=True)
    assert 'value="05/11/2026"' in page, re.findall(r"<input[^>]*date[^>]*>", page)
    submit(client, url, {"date": "2026-11-06"})
    assert stored() == dt.date(2026, 11, 6)
    refused = submit(client, url, {"date": "31/02/2026"}).get_data(as_text=True)
    assert stored() == dt.date(2026, 11, 6)
    assert "Bukan nilai tanggal yang valid" in refused, refused[refused.find("31/02"):][:600]
    client.get("/lang/en")
    assert "2026-11-06" in client.get(url).get_data(as_text=True)
