"""The Accurate Online connector against the fake provider over real HTTP."""
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest

from app.connectors.accurate import MASTER_DATA, REQUIRED_RIGHTS, TRANSACTIONS, AccurateConnector
from app.connectors.base import (
    ConnectorError,
    GrantRevoked,
    MissingAccessRight,
    ServiceError,
    TokenExpired,
)
from tests.fake_accurate import FakeAccurate

REDIRECT = "http://127.0.0.1:9/service-links/callback"


@pytest.fixture
def fake():
    server = FakeAccurate().start()
    yield server
    server.stop()


def connector(fake, page_size=2):
    return AccurateConnector.from_settings(fake.settings(page_size))


def authorize(fake, conn):
    """Follow the authorize URL as a browser would, up to the redirect back."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(conn.authorize_url(REDIRECT, "state-123"))
    except urllib.error.HTTPError as exc:
        assert exc.code == 302
        return parse_qs(urlparse(exc.headers["Location"]).query)
    raise AssertionError("the provider did not redirect back")


def tokens(fake, conn):
    back = authorize(fake, conn)
    return conn.exchange_code(back["code"][0], REDIRECT)


def test_authorize_url_carries_the_documented_parameters(fake):
    url = urlparse(connector(fake).authorize_url(REDIRECT, "s1"))
    query = parse_qs(url.query)
    assert url.path == "/oauth/authorize"
    assert query["response_type"] == ["code"] and query["state"] == ["s1"]
    assert query["redirect_uri"] == [REDIRECT]
    assert set(query["scope"][0].split()) == {r.scope for r in MASTER_DATA + TRANSACTIONS}


def test_code_exchange_gives_tokens_and_a_code_works_once(fake):
    conn = connector(fake)
    back = authorize(fake, conn)
    assert back["state"] == ["state-123"]
    got = conn.exchange_code(back["code"][0], REDIRECT)
    assert got.access_token in fake.access_tokens and got.refresh_token
    with pytest.raises(ConnectorError, match="refused the authorization code"):
        conn.exchange_code(back["code"][0], REDIRECT)


def test_refresh_gives_new_tokens_and_a_revoked_grant_is_told(fake):
    conn = connector(fake)
    got = tokens(fake, conn)
    renewed = conn.refresh(got.refresh_token)
    assert renewed.access_token != got.access_token
    fake.revoked = True
    with pytest.raises(GrantRevoked, match="revoked"):
        conn.refresh(renewed.refresh_token)


def test_branches_one_or_several_and_open_db(fake):
    conn = connector(fake)
    got = tokens(fake, conn)
    assert [(b.id, b.name) for b in conn.list_branches(got.access_token)] == [
        ("1156", "PT Demo Jakarta")]
    fake.databases.append({"id": 1157, "alias": "PT Demo Surabaya"})
    assert len(conn.list_branches(got.access_token)) == 2
    session = conn.open_branch(got.access_token, "1157")
    assert session.host == fake.url and session.session in fake.sessions


def test_pages_through_a_resource(fake):
    conn = connector(fake, page_size=2)
    got = tokens(fake, conn)
    session = conn.open_branch(got.access_token, "1156")
    customers = MASTER_DATA[0]
    pages = []
    number = 1
    while True:
        page = conn.fetch_page(got.access_token, session, customers, number)
        pages.append([r["customerNo"] for r in page.rows])
        if page.last:
            break
        number += 1
    assert pages == [["C001", "C002"], ["C003", "C004"], ["C005"]]
    query = fake.calls[0][2]
    assert query["sp.page"] == "1" and query["sp.pageSize"] == "2"
    assert query["fields"] == "id,customerNo,name"


def test_sales_orders_come_with_their_lines_from_detail(fake):
    conn = connector(fake, page_size=5)
    got = tokens(fake, conn)
    session = conn.open_branch(got.access_token, "1156")
    page = conn.fetch_page(got.access_token, session, TRANSACTIONS[0], 1)
    assert [r["detailItem"][0]["item"]["no"] for r in page.rows] == ["I001", "I002"]
    assert [c[1] for c in fake.calls] == ["list.do", "detail.do", "detail.do"]


def test_faults_are_typed(fake):
    conn = connector(fake)
    got = tokens(fake, conn)
    session = conn.open_branch(got.access_token, "1156")
    customers = MASTER_DATA[0]
    fake.fail_page = ("customer", 2)
    with pytest.raises(ServiceError, match="HTTP 500 while reading customers"):
        conn.fetch_page(got.access_token, session, customers, 2)
    fake.missing_scope = "customer"
    with pytest.raises(MissingAccessRight, match=r"access right 'Pelanggan \(Customers\)'"):
        conn.fetch_page(got.access_token, session, customers, 1)
    fake.missing_scope, fake.missing_right = None, "employee"
    with pytest.raises(MissingAccessRight, match="Karyawan") as caught:
        conn.fetch_page(got.access_token, session, MASTER_DATA[6], 1)
    assert caught.value.right == "Karyawan (Employees)"
    fake.expire_tokens = True
    with pytest.raises(TokenExpired):
        conn.fetch_page(got.access_token, session, customers, 1)


def test_the_prerequisites_list_seed_003s_rights_in_its_order():
    assert [r.split(" (")[0] for r in REQUIRED_RIGHTS] == [
        "Pajak", "Syarat Pembayaran", "Karyawan", "Pelanggan", "Pesanan Penjualan",
        "Satuan Barang", "Gudang", "Barang & Jasa"]


def test_an_unreachable_service_is_a_service_error():
    from tests.live_server import free_port
    conn = AccurateConnector("id", "secret", f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ServiceError, match="could not be reached"):
        conn.list_branches("token")
