"""Every value a person reads is in words (issue 17.10): a walk through every list
screen, and every row's show page, with the demo data and some activity (imported files
with rejections, a customer returns file, pushed documents and a pushed file), asserting
that no snake_case code, no microsecond timestamp and no "00:00:00" date reaches a cell."""
import io
import re
from pathlib import Path

import pytest
from flask import url_for
from flask_appbuilder import ModelView
from lxml import html as lxml_html
from sqlalchemy import select

from app.extensions import db
from app.models import Integration
from app.services.apikeys import KEY_PREFIX
from tests.conftest import PASSWORD, login
from tests.factories import drain, html, muara
from tests.sync_helpers import auth, push, sale, transfer_in, transfer_out

DATA = Path(__file__).parent / "data"
# A code, not a file's name ("seed_minimal.xml" is data).
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b(?!\.\w)")
# The framework's role and permission screens (Admin) list permission names, the names
# docs/permissions.md gives them: they are the vocabulary of those screens.
PERMISSION_SCREENS = ("/roles/", "/permissions/", "/permissionviews/", "/viewmenus/")
MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d+")
MIDNIGHT_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]00:00:00")
INVOICES = ("Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,Location Code\n"
            "INV-1,C001,2026-01-05,100,PO-1,JKT\nINV-2,C404,2026-01-06,50,PO-2,JKT\n")


def problems_in(text):
    # An API key's shown prefix ("mk_" and random letters) is data: about one in a
    # hundred happens to be all lower case and reads like a code.
    return [found
            for pattern in (SNAKE_CASE, MICROSECONDS, MIDNIGHT_DATE)
            for found in pattern.findall(text) if not found.startswith(KEY_PREFIX)]


def cells(page):
    """The text of every table cell and definition of the page's content."""
    tree = lxml_html.fromstring(page)
    for hidden in tree.xpath("//script | //style | //form//input"):
        hidden.drop_tree()
    return [" ".join(node.text_content().split())
            for node in tree.xpath("//table//td | //table//th | //dd")]


@pytest.fixture
def busy_demo(app, client, runner, tmp_path):
    """`muara demo`, then a day's activity through the real entry points."""
    with app.app_context():
        from app.demo import load_demo
        from app.services.apikeys import create_key
        load_demo(password_for=lambda username: PASSWORD)
        integration = db.session.execute(select(Integration)).scalar_one()
        _, key = create_key(integration)
        db.session.commit()
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(INVOICES)
    assert muara(runner, "import", str(invoices), "--module", "open_invoices", "--org",
                 "DEMO-DIST", "--principal", "DEMO-PRIN", "--wait").exit_code in (0, 1)
    assert muara(runner, "import", str(DATA / "returns" / "seed_minimal.xml"), "--module",
                 "customer_returns", "--org", "DEMO-DIST", "--principal", "DEMO-PRIN",
                 "--wait").exit_code in (0, 1)
    assert push(client, key, transfer_out("OUT-1", product="P404"),
                transfer_in("IN-1", "OUT-1"), sale("S-1")).status_code == 202
    assert client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "open_invoices", "principal": "DEMO-PRIN",
        "file": (io.BytesIO((INVOICES + "INV-3,C002,2026-01-07,70,PO-3,SBY\n").encode()),
                 "pushed.csv")}).status_code == 202
    drain(app)
    with app.app_context():
        from app.services.document_sync import sync_now
        sync_now(db.session.execute(select(Integration)).scalar_one())
    return app


def list_urls(app):
    with app.test_request_context():
        return sorted(url_for(f"{view.__class__.__name__}.list")
                      for view in app.appbuilder.baseviews
                      if isinstance(view, ModelView) and "can_list" in view.base_permissions)


def test_no_code_or_technical_timestamp_reaches_a_list_or_show_page(busy_demo, client):
    app = busy_demo
    login(client, "admin")
    found, walked = {}, 0
    for url in list_urls(app):
        if url.startswith(PERMISSION_SCREENS):
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        walked += 1
        texts = cells(page)
        for link in sorted(set(re.findall(r'href="(/[^"?]*/show/\d+)"', page)))[:3]:
            texts += cells(html(client.get(link)))
        bad = sorted({problem for text in texts for problem in problems_in(text)})
        if bad:
            found[url] = bad
    assert walked > 20
    assert found == {}, "\n".join(f"{url}: {', '.join(bad)}" for url, bad in found.items())

    # The synchronization panel, its runs and records (not model views).
    with app.app_context():
        integration_id = db.session.execute(select(Integration.id)).scalar_one()
    pages = [html(client.get(f"/sync-status/integration/{integration_id}"))]
    pages += [html(client.get(link)) for link in sorted(set(re.findall(
        r'href="(/sync-status/(?:run|record)/\d+)"', pages[0])))]
    assert len(pages) > 3
    for page in pages:
        assert problems_in(" ".join(cells(page))) == []
    assert "Transfer out" in pages[0] and "Imported file" in pages[0]
    assert re.search(r"\d{2}:\d{2}:\d{2} WIB", pages[0]), "times are local, with the zone"

    # A customer returns file's log is its message log, named by the file.
    with app.app_context():
        from app.models import ImportFile
        # The first file of each module (PostgreSQL returns rows in no set order).
        returns_id, invoices_id = (db.session.execute(select(ImportFile.id).where(
            ImportFile.module == module).order_by(ImportFile.id)).scalar()
            for module in ("customer_returns", "open_invoices"))
    log = html(client.get(f"/rejections/list/?_flt_0_import_file={returns_id}"))
    assert "Message log: seed_minimal.xml" in log and "Rejection Log:" not in log
    log = html(client.get(f"/rejections/list/?_flt_0_import_file={invoices_id}"))
    assert "Rejection Log: invoices.csv" in log
