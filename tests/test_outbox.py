"""Issue 17.1: without a mail server the result e-mail is kept in the outbox, which the
Admin reads on a screen; the file page says so; links use the uploader's address unless
MUARA_PUBLIC_URL is set. (Real SMTP, sent and refused: tests/test_email.py.)"""
import io
import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.mail import MailMessage, MailState
from tests.conftest import PASSWORD, login
from tests.factories import MIXED_ROWS, drain, html, invoice_xlsx, uploaded_id


def upload(client, content, filename, host="localhost"):
    """imp_a signs in to the portal reached as `host` and posts the Data Import form."""
    base_url = f"http://{host}/"
    client.post("/logout/", base_url=base_url)
    response = client.post("/login/", data={"username": "imp_a", "password": PASSWORD},
                           base_url=base_url)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    data = {"module": "open_invoices", "principal": "PRIN-P", "integration": "Ext A",
            "template": "", "file": (io.BytesIO(content), filename)}
    return client.post("/data-import/upload", data=data,
                       base_url=base_url,
                       content_type="multipart/form-data")


@pytest.fixture
def embedded_mail(app):
    """Mail on, no mail server, no public URL: the embedded default."""
    settings = {"MAIL_ENABLED": True, "MAIL_SERVER": None, "PUBLIC_URL": None}
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield
    app.config.update(saved)


@pytest.fixture
def kept(app, client, portal, world, embedded_mail, caplog):
    """imp_a uploaded the mixed file from http://portal.example.test; the job ran."""
    world.user("admin", "Admin")
    login(client, "imp_a")
    with caplog.at_level(logging.WARNING):
        response = upload(client, invoice_xlsx(MIXED_ROWS), filename="mixed.xlsx",
                          host="portal.example.test:8080")
        pk = uploaded_id(response)
        drain(app)
    portal.pk = pk
    portal.log = caplog.records
    return portal


def messages(app):
    with app.app_context():
        rows = db.session.execute(select(MailMessage)).scalars().all()
        db.session.expunge_all()
        return rows


def test_without_a_mail_server_the_result_is_kept_in_the_outbox(app, kept):
    [message] = messages(app)
    assert message.state == MailState.kept and message.reason is None
    assert message.recipient == "imp_a@example.test"
    assert message.import_id == kept.pk
    assert "2 records of mixed.xlsx were not imported" in message.subject
    # the link uses the address the uploader used, not localhost:5000
    link = f"http://portal.example.test:8080/rejections/list/?_flt_0_import_file={kept.pk}"
    assert link in message.body.split()
    # nothing tried to reach a mail server: no error, no traceback
    assert not [r for r in kept.log if r.name == "app.notifications"]
    assert not [r for r in kept.log if r.exc_info]


def test_the_public_url_wins_over_the_uploaders_address(app, client, portal, embedded_mail):
    app.config["PUBLIC_URL"] = "https://muara.example.id/"
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(MIXED_ROWS), filename="mixed.xlsx",
                            host="10.0.0.5:5000"))
    drain(app)
    [message] = messages(app)
    assert (f"https://muara.example.id/rejections/list/?_flt_0_import_file={pk}"
            in message.body.split())
    assert "10.0.0.5" not in message.body


def test_the_file_page_says_the_mail_was_kept(app, client, kept):
    page = html(client.get(f"/imports/show/{kept.pk}"))
    assert "E-mail is not configured: the result was kept in the outbox" in page
    assert 'id="mail-note"' in page


def test_the_file_page_says_why_a_mail_was_not_sent(app, client, kept):
    with app.app_context():
        message = db.session.execute(select(MailMessage)).scalar_one()
        message.state, message.reason = MailState.not_sent, "The mail server x:25 refused."
        db.session.commit()
    page = html(client.get(f"/imports/show/{kept.pk}"))
    assert "The result e-mail to imp_a@example.test was not sent: The mail server x:25 refused." \
        in page


def test_no_mail_note_when_mail_is_off(app, client, portal):
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(MIXED_ROWS), filename="mixed.xlsx"))
    drain(app)
    assert messages(app) == []
    assert 'id="mail-note"' not in html(client.get(f"/imports/show/{pk}"))


def test_the_admin_reads_the_outbox_list_search_and_message(app, client, kept):
    login(client, "admin")
    listing = html(client.get("/outbox/list/"))
    assert "imp_a@example.test" in listing
    assert "Kept in the outbox (no mail server)" in listing
    found = html(client.get("/outbox/list/?_flt_2_recipient=imp_a"))
    assert "2 records of mixed.xlsx were not imported" in found
    nothing = html(client.get("/outbox/list/?_flt_2_recipient=nobody"))
    assert "2 records of mixed.xlsx were not imported" not in nothing
    [message] = messages(app)
    shown = html(client.get(f"/outbox/show/{message.id}"))
    assert "Review the reasons here:" in shown
    assert f"_flt_0_import_file={kept.pk}" in shown


def test_the_outbox_pages_through_many_messages(app, client, kept):
    with app.app_context():
        for n in range(30):
            db.session.add(MailMessage(recipient=f"user{n:02}@example.test",
                                       subject=f"subject {n}", body="b",
                                       state=MailState.kept))
        db.session.commit()
    login(client, "admin")
    first = html(client.get("/outbox/list/"))
    second = html(client.get("/outbox/list/?page_OutboxView=1"))
    assert "user29@example.test" in first and "user29@example.test" not in second
    assert "imp_a@example.test" in second  # the oldest, on the second page of 25


def test_only_the_admin_reads_the_outbox(app, client, kept):
    for username in ("imp_a", "sup_a", "prin_p"):
        login(client, username)
        response = client.get("/outbox/list/")
        assert response.status_code in (302, 403), username
        assert "imp_a@example.test" not in html(response)


def test_a_mail_header_injection_in_a_file_name_stays_text(app, client, portal, world,
                                                          embedded_mail):
    world.user("admin", "Admin")
    login(client, "imp_a")
    uploaded_id(upload(client, invoice_xlsx(MIXED_ROWS), filename="<b>bold</b>.xlsx"))
    drain(app)
    login(client, "admin")
    [message] = messages(app)
    shown = html(client.get(f"/outbox/show/{message.id}"))
    assert "<b>bold</b>" not in shown and "&lt;b&gt;bold&lt;/b&gt;" in shown
