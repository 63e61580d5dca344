"""The e-mail to the uploader when an import ends (IMP-7), sent to a real SMTP server.

An aiosmtpd server on 127.0.0.1 collects every message it is given. The import runs the
real way: create_import stores and queues the file, the embedded queue's worker runs the
job in this process, and the job sends the mail over SMTP.
"""
import io
import logging
import socket
from email import message_from_bytes
from email.policy import default as default_policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from openpyxl import Workbook

from app.extensions import db
from app.models import Customer, ImportFile
from app.models.imports import ImportStatus
from app.queue import queue
from app.security import roles
from app.services.directory import add_integration, connect, get_org
from app.services.imports import create_import
from app.services.templates import create_default_template

HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
          "Location Code"]
PUBLIC_URL = "https://muara.example.test/"
SENDER = "imports@muara.example.test"


class Collector:
    """aiosmtpd handler: keeps every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = {"MAIL_ENABLED": True, "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": controller.port, "MAIL_USE_TLS": False, "MAIL_USE_SSL": False,
                "MAIL_USERNAME": None, "MAIL_DEFAULT_SENDER": SENDER,
                "PUBLIC_URL": PUBLIC_URL}
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    server = SimpleNamespace(collector=collector, controller=controller, running=True)
    try:
        yield server
    finally:
        if server.running:
            controller.stop()
        app.config.update(saved)


@pytest.fixture
def distributor(app, world):
    with app.app_context():
        queue().rq.empty()
    world.org("DIST-A")
    world.org("PRIN-P", kind="principal")
    world.run(connect, "DIST-A", "PRIN-P")
    world.run(add_integration, "DIST-A", "Ext A", "external")
    with app.app_context():
        org = get_org("DIST-A")
        create_default_template(org, "open_invoices")
        db.session.add(Customer(organization_id=org.id, code="C001", name="Toko", balance=0))
        db.session.commit()
    world.user("imp_a", roles.IMPORTER, "DIST-A")
    return "imp_a@example.test"


def invoice_xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for values in rows:
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run_import(app, content, filename="invoices.xlsx", username="imp_a"):
    """Upload as `username` through the service, then let the queue's worker run it."""
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        imp = create_import(get_org("DIST-A"), "open_invoices", filename, content, user=user)
        pk = imp.id
    with app.app_context():
        queue().worker(app).work(burst=True)
    with app.app_context():
        imp = db.session.get(ImportFile, pk)
        return SimpleNamespace(id=pk, status=imp.status, rows=imp.rows_done,
                               accepted=imp.accepted, rejected=imp.rejected,
                               error=imp.error_message)


def only_message(smtp, recipient):
    envelopes = smtp.collector.envelopes
    assert len(envelopes) == 1, f"expected one e-mail, got {len(envelopes)}"
    assert envelopes[0].rcpt_tos == [recipient]
    assert envelopes[0].mail_from == SENDER
    message = smtp.collector.messages()[0]
    assert message["To"] == recipient
    return message["Subject"], message.get_content()


def test_a_successful_import_mails_the_counts(app, smtp, distributor):
    result = run_import(app, invoice_xlsx([
        ["INV-1", "C001", "2025-01-31", 10, "PO-1", None],
        ["INV-2", "C001", "2025-02-01", 20, "PO-2", None],
    ]), filename="january.xlsx")
    assert result.status == ImportStatus.archived

    subject, body = only_message(smtp, distributor)
    assert "january.xlsx" in subject and "imported" in subject
    assert "imported successfully" in body
    assert "Rows read: 2" in body
    assert "Imported: 2" in body
    assert "Rejected: 0" in body
    assert "/rejections/" not in body


def test_an_import_with_rejections_mails_the_count_and_the_rejection_log_link(
        app, smtp, distributor):
    result = run_import(app, invoice_xlsx([
        ["INV-1", "C001", "2025-01-31", 10, "PO-1", None],
        ["INV-2", "NOBODY", "2025-01-31", 10, "PO-2", None],
        ["INV-3", "C001", "2025-13-01", 10, "PO-3", None],
        ["INV-4", "C001", "2025-01-31", "ten", "PO-4", None],
    ]), filename="mixed.xlsx")
    assert result.status == ImportStatus.needs_attention
    assert (result.rows, result.accepted, result.rejected) == (4, 1, 3)

    subject, body = only_message(smtp, distributor)
    assert "3 records of mixed.xlsx were not imported" in subject
    assert "3 of 4 records could not be imported" in body
    assert "Imported: 1" in body and "Rejected: 3" in body
    link = f"https://muara.example.test/rejections/list/?_flt_0_import_file={result.id}"
    assert link in body.split()


def test_a_failed_file_mails_the_reason(app, smtp, distributor):
    result = run_import(app, b"%PDF-1.4 this is not a spreadsheet", filename="scan.xlsx")
    assert result.status == ImportStatus.failed
    assert result.error

    subject, body = only_message(smtp, distributor)
    assert "scan.xlsx could not be imported" in subject
    assert result.error in body
    assert "PDF" in body


def test_an_import_finishes_when_the_mail_server_is_down(app, smtp, distributor, caplog):
    """A refusing mail server is recorded on the message (not sent, with the reason) and
    logged in one line: no traceback, and the import and its task still succeed."""
    smtp.controller.stop()
    smtp.running = False
    with caplog.at_level(logging.WARNING, logger="app.notifications"):
        result = run_import(app, invoice_xlsx([["INV-1", "C001", "2025-01-31", 10, "PO-1", None]]))
    assert result.status == ImportStatus.archived
    assert (result.rows, result.accepted, result.rejected) == (1, 1, 0)
    assert smtp.collector.envelopes == []
    failures = [r for r in caplog.records if r.name == "app.notifications"]
    assert failures, "the mail failure was not logged"
    assert f"import {result.id}" in failures[0].getMessage()
    assert distributor in failures[0].getMessage()
    assert "refused the connection" in failures[0].getMessage()
    assert failures[0].exc_info is None, "a refused connection is no traceback"
    with app.app_context():
        from app.models.mail import MailMessage, MailState
        from app.models.tasks import BackgroundTask, TaskStatus
        task = db.session.execute(db.select(BackgroundTask)).scalar_one()
        assert task.status == TaskStatus.done, "the job failed because of the mail"
        message = db.session.execute(db.select(MailMessage)).scalar_one()
        assert message.state == MailState.not_sent
        assert message.recipient == distributor and message.import_id == result.id
        assert f"127.0.0.1:{smtp.controller.port} refused the connection" in message.reason


def test_a_sent_mail_is_recorded_as_sent(app, smtp, distributor):
    result = run_import(app, invoice_xlsx([["INV-1", "C001", "2025-01-31", 10, "PO-1", None]]))
    assert len(smtp.collector.envelopes) == 1
    with app.app_context():
        from app.models.mail import MailMessage, MailState
        message = db.session.execute(db.select(MailMessage)).scalar_one()
        assert (message.state, message.reason, message.import_id) == (
            MailState.sent, None, result.id)


def test_no_mail_when_mail_is_disabled(app, smtp, distributor):
    app.config["MAIL_ENABLED"] = False
    result = run_import(app, invoice_xlsx([["INV-1", "C001", "2025-01-31", 10, "PO-1", None]]))
    assert result.status == ImportStatus.archived
    assert smtp.collector.envelopes == []


def test_no_mail_for_an_import_without_an_uploader(app, smtp, distributor):
    with app.app_context():
        imp = create_import(get_org("DIST-A"), "open_invoices", "api.xlsx",
                            invoice_xlsx([["INV-1", "C001", "2025-01-31", 10, "PO-1", None]]))
        pk = imp.id
        queue().worker(app).work(burst=True)
    with app.app_context():
        assert db.session.get(ImportFile, pk).status == ImportStatus.archived
    assert smtp.collector.envelopes == []


def test_all_or_nothing_mail_does_not_claim_valid_rows_were_imported(app, smtp, distributor):
    """IMP-9: with "all or nothing", one rejection means nothing was written; the mail
    must not report the valid rows as imported."""
    from app.models import MapperTemplate, OpenInvoice
    from app.models.templates import RejectionPolicy
    with app.app_context():
        db.session.execute(db.update(MapperTemplate).values(
            policy=RejectionPolicy.all_or_nothing))
        db.session.commit()
    result = run_import(app, invoice_xlsx([
        ["INV-1", "C001", "2025-01-31", 10, "PO-1", None],
        ["INV-2", "NOBODY", "2025-01-31", 10, "PO-2", None],
    ]))
    assert result.status == ImportStatus.needs_attention
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(OpenInvoice.id))).scalar() == 0

    subject, body = only_message(smtp, distributor)
    assert "Imported: 0" in body
    assert "Imported: 1" not in body
    assert "All or nothing" in body
    assert f"_flt_0_import_file={result.id}" in body
