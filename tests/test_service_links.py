"""OAuth re-integration (INT-3, seed 003) through the screens, the queue and the sync job,
against the fake Accurate Online served over real HTTP."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Integration, Location, Product, UnitOfMeasure
from app.models.service_links import (
    Employee,
    LinkStatus,
    PaymentTerm,
    ServiceLink,
    ServiceSalesOrder,
    SyncCursor,
    Tax,
)
from app.models.sync import SyncRecord, SyncRun, SyncStatus
from app.services.secrets import decrypt
from tests.conftest import denied, login
from tests.factories import connect, count, drain, page_of


def link(app, pk):
    with app.app_context():
        row = db.session.execute(
            select(ServiceLink).where(ServiceLink.integration_id == pk)).scalar()
        if row is not None:
            db.session.expunge(row)
        return row


def sync(app, client, pk, group="master_data"):
    response = client.post(f"{page_of(pk)}/sync/{group}")
    assert response.status_code == 302
    drain(app)
    with app.app_context():
        run = db.session.execute(select(SyncRun).where(SyncRun.integration_id == pk)
                                 .order_by(SyncRun.id.desc())).scalar()
        db.session.expunge(run)
        return run


def test_the_screen_lists_the_prerequisites_of_seed_003(app, client, setup, fake):
    login(client, "imp1")
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert "Administrator" in html
    for right in ("Pajak", "Syarat Pembayaran", "Karyawan", "Pelanggan", "Pesanan Penjualan",
                  "Satuan Barang", "Gudang", "Barang &amp; Jasa"):
        assert right in html
    assert 'id="connect-service"' in html and 'id="sync-master_data"' not in html


def test_the_integration_page_links_to_the_service_connection(app, client, setup, fake):
    login(client, "imp1")
    html = client.get(f"/integrationview/show/{setup['acc1']}").get_data(as_text=True)
    assert page_of(setup["acc1"]) in html
    html = client.get(f"/integrationview/show/{setup['ext1']}").get_data(as_text=True)
    assert "service-link-button" not in html


def test_connect_with_one_database_selects_it_and_stores_tokens_encrypted(app, client, setup, fake):
    login(client, "imp1")
    response = connect(client, setup["acc1"])
    assert response.headers["Location"].endswith(page_of(setup["acc1"]))
    row = link(app, setup["acc1"])
    assert row.status == LinkStatus.connected
    assert (row.branch_id, row.branch_name) == ("1156", "PT Demo Jakarta")
    assert row.session_host == fake.url
    # Stored encrypted: the columns never hold the token itself.
    assert row.access_token not in fake.access_tokens
    with app.app_context():
        assert decrypt(row.access_token) in fake.access_tokens
        assert decrypt(row.refresh_token) in fake.refresh_tokens
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert "Connected to PT Demo Jakarta." in html and 'id="sync-master_data"' in html


def test_connect_with_several_databases_asks_for_the_branch(app, client, setup, fake):
    fake.databases.append({"id": 1157, "alias": "PT Demo Surabaya"})
    login(client, "imp1")
    response = connect(client, setup["acc1"])
    assert response.headers["Location"].endswith(f"{page_of(setup['acc1'])}/branch")
    assert link(app, setup["acc1"]).status == LinkStatus.choose_branch
    html = client.get(f"{page_of(setup['acc1'])}/branch").get_data(as_text=True)
    assert "PT Demo Jakarta" in html and "PT Demo Surabaya" in html
    bad = client.post(f"{page_of(setup['acc1'])}/branch", data={"branch": "999"})
    assert bad.status_code == 400 and "Choose one of the branches" in bad.get_data(as_text=True)
    response = client.post(f"{page_of(setup['acc1'])}/branch", data={"branch": "1157"})
    assert response.status_code == 302
    row = link(app, setup["acc1"])
    assert (row.status, row.branch_name) == (LinkStatus.connected, "PT Demo Surabaya")


@pytest.mark.parametrize("query", ["?code=abc&state=forged", "?code=abc", "",
                                   "?code=abc&state=%C3%A9"])
def test_a_wrong_or_missing_state_is_refused(app, client, setup, fake, query):
    login(client, "imp1")
    client.post(f"{page_of(setup['acc1'])}/connect")  # a real state is in the session
    response = client.get(f"/service-links/callback{query}")
    assert response.status_code == 400
    assert "state parameter is missing or wrong" in response.get_data(as_text=True)
    assert link(app, setup["acc1"]) is None


def test_a_callback_without_a_connect_is_refused(app, client, setup, fake):
    login(client, "imp1")
    response = client.get("/service-links/callback?code=abc&state=abc")
    assert response.status_code == 400


def test_a_denied_authorization_changes_nothing(app, client, setup, fake):
    login(client, "imp1")
    client.post(f"{page_of(setup['acc1'])}/connect")
    with client.session_transaction() as session:
        state = session["service_oauth"]["state"]
    response = client.get(f"/service-links/callback?error=access_denied&state={state}",
                          follow_redirects=True)
    assert "did not grant access (access_denied)" in response.get_data(as_text=True)
    assert link(app, setup["acc1"]) is None


def test_sync_master_data_upserts_every_kind_with_sync_records(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    run = sync(app, client, setup["acc1"])
    assert (run.trigger, run.succeeded, run.failed, run.message) == ("master_data", 16, 0, None)
    with app.app_context():
        org = db.session.get(Integration, setup["acc1"]).organization_id
        customers = db.session.execute(select(Customer.code, Customer.source_id).where(
            Customer.organization_id == org).order_by(Customer.code)).all()
        assert customers == [(f"C00{n}", str(100 + n)) for n in range(1, 6)]
        assert count(app, Product, organization_id=org) == 3
        assert count(app, UnitOfMeasure, organization_id=org) == 2
        assert {loc.code for loc in db.session.execute(select(Location).where(
            Location.organization_id == org)).scalars()} == {"Utama", "JKT"}
        assert count(app, Tax, organization_id=org) == 1
        assert count(app, PaymentTerm, organization_id=org) == 2
        assert count(app, Employee, organization_id=org) == 1
        records = db.session.execute(select(SyncRecord.kind, func.count()).where(
            SyncRecord.integration_id == setup["acc1"], SyncRecord.status == SyncStatus.success)
            .group_by(SyncRecord.kind)).all()
        assert dict(records) == {"customer": 5, "item": 3, "unit": 2, "warehouse": 2, "tax": 1,
                                 "payment_term": 2, "employee": 1}
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert "<td>Customer</td><td>101</td>" in html
    # Again: the same documents are updated, not doubled; attempts count up.
    fake.data["customer"][0]["name"] = "Customer one, renamed"
    sync(app, client, setup["acc1"])
    assert count(app, Customer) == 5 and count(app, SyncRecord) == 16
    with app.app_context():
        assert db.session.execute(select(Customer.name).where(Customer.code == "C001")).scalar() \
            == "Customer one, renamed"
        assert set(db.session.execute(select(SyncRecord.attempts)).scalars()) == {2}


def test_sync_transaction_waits_for_its_customers_then_succeeds(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    run = sync(app, client, setup["acc1"], "transaction")
    assert (run.trigger, run.succeeded, run.failed) == ("transaction", 0, 2)
    with app.app_context():
        reasons = db.session.execute(select(SyncRecord.reason).where(
            SyncRecord.kind == "sales_order").order_by(SyncRecord.reference)).scalars().all()
    assert reasons[0] == ("Customer C001 has not been synced: run Sync Master Data first, then "
                          "Sync Transaction again.")
    assert count(app, ServiceSalesOrder) == 0
    sync(app, client, setup["acc1"])
    run = sync(app, client, setup["acc1"], "transaction")
    assert (run.succeeded, run.failed) == (2, 0)
    with app.app_context():
        order = db.session.execute(select(ServiceSalesOrder).where(
            ServiceSalesOrder.number == "SO.2025.01.00001")).scalar()
        assert order.customer.code == "C001" and str(order.order_date) == "2025-01-31"
        assert [(line.item_code, int(line.quantity), line.unit, line.product_id is not None)
                for line in order.lines] == [("I001", 3, "PCS", True)]
        record = db.session.execute(select(SyncRecord).where(
            SyncRecord.kind == "sales_order", SyncRecord.reference == "801")).scalar()
        assert (record.status, record.attempts, record.reason) == (SyncStatus.success, 2, None)
        assert str(record.document_date.date()) == "2025-01-31"


def test_an_expired_token_is_refreshed_and_the_call_retried(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    before = link(app, setup["acc1"]).access_token
    fake.expire_tokens = True
    run = sync(app, client, setup["acc1"])
    assert (run.succeeded, run.message) == (16, None)
    assert fake.refreshes == 1
    assert link(app, setup["acc1"]).access_token != before


def test_a_token_past_its_expiry_is_refreshed_before_the_call(app, client, setup, fake):
    fake.expires_in = 30   # within the refresh margin: renewed before use
    login(client, "imp1")
    connect(client, setup["acc1"])
    refreshes = fake.refreshes
    run = sync(app, client, setup["acc1"])
    assert run.message is None and fake.refreshes > refreshes


def test_a_500_mid_way_fails_the_run_and_the_retry_resumes_where_it_stopped(
        app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    fake.fail_page = ("customer", 2)
    run = sync(app, client, setup["acc1"])
    assert run.message == "Accurate Online failed with HTTP 500 while reading customers."
    assert (run.succeeded, run.failed) == (2, 0)
    assert count(app, Customer) == 2
    with app.app_context():
        cursor = db.session.execute(select(SyncCursor).where(
            SyncCursor.resource == "customer")).scalar()
        assert (cursor.next_page, cursor.finished) == (2, False)
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert "HTTP 500 while reading customers" in html

    fake.fail_page = None
    fake.calls.clear()
    run = sync(app, client, setup["acc1"])
    assert run.message is None and run.succeeded == 14
    customer_pages = [c[2]["sp.page"] for c in fake.calls if c[0] == "customer"]
    assert customer_pages == ["2", "3"]       # page 1 is not read again
    assert count(app, Customer) == 5 and count(app, SyncRecord, kind="customer") == 5
    with app.app_context():
        assert set(db.session.execute(select(SyncRecord.attempts).where(
            SyncRecord.kind == "customer")).scalars()) == {1}   # nothing applied twice
        # Finished: the next run reads everything from the start.
        assert set(db.session.execute(select(SyncCursor.next_page)).scalars()) == {1}


def test_a_revoked_grant_disconnects_with_a_clear_message(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    fake.expire_tokens = True
    fake.revoked = True
    run = sync(app, client, setup["acc1"])
    assert "the grant was revoked or has expired. Connect the service again." in run.message
    row = link(app, setup["acc1"])
    assert row.status == LinkStatus.disconnected
    assert row.access_token is None and row.refresh_token is None
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert "grant was revoked" in html and 'id="connect-service"' in html


def test_a_missing_access_right_is_named(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    fake.missing_right = "employee"
    run = sync(app, client, setup["acc1"])
    assert run.message.startswith(
        "The service account lacks the access right 'Karyawan (Employees)'.")
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert "lacks the access right &#39;Karyawan (Employees)&#39;" in html
    assert link(app, setup["acc1"]).status == LinkStatus.connected


def test_remove_service_drops_the_credentials(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    response = client.post(f"{page_of(setup['acc1'])}/remove", follow_redirects=True)
    assert "credentials are dropped" in response.get_data(as_text=True)
    row = link(app, setup["acc1"])
    assert row.status == LinkStatus.disconnected
    assert (row.access_token, row.refresh_token, row.session_id, row.branch_id) == (None,) * 4
    sync_refused = client.post(f"{page_of(setup['acc1'])}/sync/master_data",
                               follow_redirects=True)
    assert "Connect the service and choose a branch" in sync_refused.get_data(as_text=True)
    assert count(app, SyncRun) == 0


def test_another_organization_cannot_see_or_touch_the_connection(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    sync(app, client, setup["acc1"])
    login(client, "imp2")
    pk = setup["acc1"]
    assert client.get(page_of(pk)).status_code == 404
    for action in ("connect", "remove", "sync/master_data", "branch"):
        assert client.post(f"{page_of(pk)}/{action}").status_code == 404
    assert client.get(page_of(999999)).status_code == 404
    assert link(app, pk).status == LinkStatus.connected
    # Its own integration works and shows none of DIST1's records.
    html = client.get(page_of(setup["acc2"])).get_data(as_text=True)
    assert "No record yet." in html
    # A service-less integration has no such page.
    login(client, "imp1")
    assert client.get(page_of(setup["ext1"])).status_code == 404


def test_a_callback_cannot_be_steered_to_another_organizations_integration(
        app, client, setup, fake):
    login(client, "imp2")
    with client.session_transaction() as session:
        session["service_oauth"] = {"state": "s", "integration": setup["acc1"]}
    assert client.get("/service-links/callback?code=x&state=s").status_code == 404
    assert link(app, setup["acc1"]) is None


def test_roles_admin_and_importer_only(app, client, setup, fake):
    login(client, "sup1")
    assert denied(client.get(page_of(setup["acc1"])))
    assert denied(client.post(f"{page_of(setup['acc1'])}/connect"))
    login(client, "admin")
    assert client.get(page_of(setup["acc2"])).status_code == 200
    connect(client, setup["acc2"])
    assert link(app, setup["acc2"]).status == LinkStatus.connected


def test_a_second_sync_waits_for_the_first(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    client.post(f"{page_of(setup['acc1'])}/sync/master_data")
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert 'id="sync-waiting"' in html and "window.location.reload" in html
    assert "Sync Master Data: queued or running" in html
    client.get("/lang/id")  # the waiting run is named in the reader's language
    html = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    assert "Sinkronisasi Data Induk: dalam antrean" in html and "Sync Master Data" not in html
    client.get("/lang/en")
    second = client.post(f"{page_of(setup['acc1'])}/sync/transaction", follow_redirects=True)
    assert "already queued or running" in second.get_data(as_text=True)
    drain(app)
    assert count(app, SyncRun) == 1
    assert 'id="sync-waiting"' not in client.get(page_of(setup["acc1"])).get_data(as_text=True)


def test_synced_master_data_and_orders_have_read_only_screens_per_tenant(app, client, setup, fake):
    from tests.conftest import row_ids
    login(client, "imp1")
    connect(client, setup["acc1"])
    sync(app, client, setup["acc1"])
    sync(app, client, setup["acc1"], "transaction")
    pages = {"taxview": "PPN 11%", "paymenttermview": "Net 30", "employeeview": "Budi",
             "servicesalesorderview": "SO.2025.01.00001"}
    ids = {}
    for view, text in pages.items():
        html = client.get(f"/{view}/list/").get_data(as_text=True)
        assert text in html, view
        ids[view] = row_ids(html, view)
        assert ids[view]
    order = client.get(f"/servicesalesorderview/show/{ids['servicesalesorderview'][0]}")
    assert "I001" in order.get_data(as_text=True) or "I002" in order.get_data(as_text=True)
    assert denied(client.post(f"/taxview/delete/{ids['taxview'][0]}")) or \
        client.post(f"/taxview/delete/{ids['taxview'][0]}").status_code == 404
    assert count(app, Tax) == 1
    login(client, "imp2")
    for view, text in pages.items():
        assert text not in client.get(f"/{view}/list/").get_data(as_text=True)
        assert client.get(f"/{view}/show/{ids[view][0]}").status_code == 404


def test_connecting_again_starts_the_next_sync_from_the_beginning(app, client, setup, fake):
    login(client, "imp1")
    connect(client, setup["acc1"])
    fake.fail_page = ("customer", 2)
    sync(app, client, setup["acc1"])
    assert count(app, SyncCursor) > 0
    fake.fail_page = None
    connect(client, setup["acc1"])      # e.g. another branch: old positions mean nothing
    assert count(app, SyncCursor) == 0
    fake.calls.clear()
    run = sync(app, client, setup["acc1"])
    assert run.message is None
    assert [c[2]["sp.page"] for c in fake.calls if c[0] == "customer"] == ["1", "2", "3"]


def test_the_service_page_after_a_sync_reads_indonesian(app, client, setup, fake):
    """Issue 16: the link's state, the sync buttons and runs, the records' kinds and states
    in the reader's language."""
    from app.models import Organization
    with app.app_context():
        org = db.session.execute(select(Organization).filter_by(code="DIST1")).scalar_one()
        org.language = "id"
        db.session.commit()
    login(client, "imp1")
    connect(client, setup["acc1"])
    sync(app, client, setup["acc1"])
    page = client.get(page_of(setup["acc1"])).get_data(as_text=True)
    for indonesian in ("Terhubung", "Sinkronisasi Data Induk", "Sinkronisasi Transaksi",
                       "Gudang", "Termin pembayaran", "Berhasil"):
        assert indonesian in page, indonesian
    for english in (">Connected<", "Sync Master Data", ">Warehouse<", ">Payment term<",
                    ">Success<"):
        assert english not in page, english
