"""The Data Import screen, the Files list and the Rejection log through real HTTP after a
real login (IMP-1..IMP-9, SEC-2).

Distributor A is connected to principals P and R (active) and Q (inactive); it has an
active External integration, an inactive External one and a DMS one, the default Open
Invoices template and two customers. Distributor B (connected to Q) is the other tenant.
Uploads go through POST /data-import/upload; the job runs on the embedded queue in this
process, so every screen is looked at after the real job.
"""
import hashlib
import html as html_module
import io
import json
import re
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from werkzeug.http import parse_options_header

from app.extensions import db
from app.models import Customer, ImportBlob, ImportFile, ImportRejection, Integration, OpenInvoice
from app.models.imports import ImportStatus
from app.security import roles
from app.services.directory import connect, get_org
from app.services.imports import create_import
from app.services.templates import create_default_template
from tests.conftest import denied, login, row_ids
from tests.factories import (
    HYPERLINK,
    INVOICE_HEADER,
    VALID_ROWS,
    count,
    drain,
    html,
    invoice_xlsx,
    rejection_ids,
    upload,
    uploaded_id,
)


def import_row(app, pk):
    with app.app_context():
        imp = db.session.get(ImportFile, pk)
        return SimpleNamespace(**{c.name: getattr(imp, c.name)
                                  for c in ImportFile.__table__.columns})


def set_connection(world, distributor, principal, active):
    world.run(connect, distributor, principal, active=active)


def set_integration_active(app, name, active):
    with app.app_context():
        db.session.execute(update(Integration).where(Integration.name == name)
                           .values(active=active))
        db.session.commit()


# --- The Data Import screen (IMP-1, IMP-2) ----------------------------------------------


def test_form_offers_modules_connected_principals_and_active_external_integrations(
        app, client, portal):
    login(client, "imp_a")
    response = client.get("/data-import/")
    assert response.status_code == 200
    page = html(response)
    options = re.findall(r'<option value="(\w+)"([^>]*)>([^<]+)</option>',
                         page[page.index('id="module"'):page.index('id="principal"')])
    modules = {name: html_module.unescape(label) for name, _, label in options}
    disabled = {name for name, attributes, _ in options if "disabled" in attributes}
    assert modules["open_invoices"] == "Open Invoices"
    # issue 17: what cannot be imported is shown disabled, with the reason
    assert modules["open_credits"].startswith("Open Credits — not available: no mapper template")
    assert modules["delivery_orders"] == ("Delivery Order — not available: not supported yet: "
                                          "Muara cannot import it")
    assert modules["sales_orders"].startswith("Sales Orders — not available")
    assert modules["customer_returns"] == "Customer Returns"
    assert disabled == {name for name, label in modules.items() if "not available" in label}
    assert "open_invoices" not in disabled and "customer_returns" not in disabled

    principals = page[page.index('id="principal"'):page.index('id="integration"')]
    assert re.findall(r'<option value="([^"]+)"', principals) == ["PRIN-P", "PRIN-R"]
    integrations = page[page.index('id="integration"'):page.index('id="template"')]
    assert re.findall(r'<option value="([^"]+)"', integrations) == ["Ext A"]
    assert "Default Open Invoices" in page
    assert "precondition" not in page
    assert re.search(r'id="import-button"\s*>', page), "the Import button is disabled"
    for foreign in ("DIST-B", "Ext B", "PRIN-Q"):
        assert foreign not in page


def test_no_active_connection_is_its_own_message_and_disables_import(
        app, client, world, portal):
    set_connection(world, "DIST-A", "PRIN-P", False)
    set_connection(world, "DIST-A", "PRIN-R", False)
    login(client, "imp_a")
    page = html(client.get("/data-import/"))
    problems = re.findall(r'class="alert alert-warning precondition"[^>]*>([^<]+)<', page)
    assert problems == ["DIST-A has no active connection with a principal: a connection is "
                        "needed before importing. An Organization Admin or the platform "
                        "Admin can fix this."]
    assert re.search(r'id="import-button"\s+disabled', page)

    response = upload(client, invoice_xlsx(VALID_ROWS))
    assert response.status_code == 400
    assert "has no active connection with a principal" in html(response)
    assert count(app, ImportFile) == 0


def test_no_active_external_integration_is_its_own_message_and_disables_import(
        app, client, portal):
    set_integration_active(app, "Ext A", False)
    login(client, "imp_a")
    page = html(client.get("/data-import/"))
    problems = re.findall(r'class="alert alert-warning precondition"[^>]*>([^<]+)<', page)
    assert problems == ["DIST-A has no active External integration: create one before "
                        "importing. An Organization Admin or the platform Admin can fix this."]
    assert re.search(r'id="import-button"\s+disabled', page)
    integrations = page[page.index('id="integration"'):page.index('id="template"')]
    assert "<option" not in integrations  # neither the inactive External nor the DMS one

    response = upload(client, invoice_xlsx(VALID_ROWS))
    assert response.status_code == 400
    assert "has no active External integration" in html(response)
    assert count(app, ImportFile) == 0


def test_both_preconditions_failing_show_both_messages(app, client, world, portal):
    set_connection(world, "DIST-A", "PRIN-P", False)
    set_connection(world, "DIST-A", "PRIN-R", False)
    set_integration_active(app, "Ext A", False)
    login(client, "imp_a")
    page = html(client.get("/data-import/"))
    assert len(re.findall(r'precondition"', page)) == 2
    assert re.search(r'id="import-button"\s+disabled', page)


def test_a_supervisor_and_a_principal_may_not_open_the_import_screen(app, client, portal):
    for user in ("sup_a", "prin_p"):
        login(client, user)
        assert denied(client.get("/data-import/")), user
        assert denied(upload(client, invoice_xlsx(VALID_ROWS))), user
    assert count(app, ImportFile) == 0


# --- Upload, store, queue, progress (IMP-3, IMP-4) ---------------------------------------


def test_upload_stores_the_file_whole_queues_it_and_reports_progress(app, client, portal):
    login(client, "imp_a")
    content = invoice_xlsx(VALID_ROWS)
    response = upload(client, content, filename="january.xlsx",
                      template="Default Open Invoices", org=str(portal.a))
    pk = uploaded_id(response)

    with app.app_context():
        imp = db.session.get(ImportFile, pk)
        assert imp.status == ImportStatus.imported
        assert imp.filename == "january.xlsx"
        assert imp.size == len(content)
        assert imp.sha256 == hashlib.sha256(content).hexdigest()
        assert imp.uploaded_by.username == "imp_a"
        assert imp.uploaded_at is not None
        assert imp.organization_id == portal.a
        assert imp.principal.code == "PRIN-P"
        assert imp.integration.name == "Ext A"
        assert imp.template.name == "Default Open Invoices"
        assert imp.task_id is not None
        blob = db.session.execute(
            select(ImportBlob.content).where(ImportBlob.import_id == pk)).scalar()
        assert blob == content

    # before the worker ran: waiting
    waiting = client.get(f"/data-import/status/{pk}").get_json()
    assert waiting["status"] == "imported" and waiting["finished"] is False

    progress = client.get(f"/data-import/progress/{pk}")
    assert progress.status_code == 200
    assert "january.xlsx" in html(progress) and 'id="progress-bar"' in html(progress)

    drain(app)
    status = client.get(f"/data-import/status/{pk}")
    assert status.status_code == 200 and status.mimetype == "application/json"
    payload = status.get_json()
    assert payload["status"] == "archived"
    assert payload["finished"] is True
    assert payload["rows_done"] == 2 and payload["rows_total"] == 2
    assert payload["accepted"] == 2 and payload["rejected"] == 0
    assert payload["rejections"] == []
    assert count(app, OpenInvoice, OpenInvoice.organization_id == portal.a) == 2


def test_status_reports_rejections_of_a_mixed_file(app, client, mixed):
    payload = client.get(f"/data-import/status/{mixed.mixed}").get_json()
    assert payload["status"] == "needs_attention" and payload["finished"] is True
    assert (payload["rows_done"], payload["accepted"], payload["rejected"]) == (3, 1, 2)
    assert payload["rows_done"] == payload["accepted"] + payload["rejected"]
    assert {(r["row"], r["column"]) for r in payload["rejections"]} == {
        (3, "Customer Code"), (4, "Customer Code"), (4, "Invoice Date")}
    assert payload["rejections_url"] == f"/rejections/list/?_flt_0_import_file={mixed.mixed}"


def test_a_dms_integration_is_refused_with_its_reason(app, client, portal):
    login(client, "imp_a")
    response = upload(client, invoice_xlsx(VALID_ROWS), integration="DMS A")
    assert response.status_code == 400
    message = re.search(r'id="import-error"[^>]*>([^<]+)<', html(response)).group(1)
    assert "DMS A is a DMS integration" in message
    assert "Choose an External integration" in message
    assert count(app, ImportFile) == 0


def test_an_inactive_external_integration_is_refused(app, client, portal):
    login(client, "imp_a")
    response = upload(client, invoice_xlsx(VALID_ROWS), integration="Old Ext A")
    assert response.status_code == 400
    assert "inactive" in html(response)
    assert count(app, ImportFile) == 0


def test_an_unsupported_module_is_refused_with_its_reason(app, client, portal):
    login(client, "imp_a")
    response = upload(client, invoice_xlsx(VALID_ROWS), module="delivery_orders")
    assert response.status_code == 400
    assert "Importing Delivery Order is not supported yet." in html(response)
    assert count(app, ImportFile) == 0


def test_a_module_without_a_template_is_refused_with_its_reason(app, client, portal):
    login(client, "imp_a")
    response = upload(client, invoice_xlsx(VALID_ROWS), module="open_credits")
    assert response.status_code == 400
    assert "has no mapper template for Open Credits" in html(response)
    assert count(app, ImportFile) == 0


def test_sharing_with_a_principal_whose_connection_is_inactive_is_refused(app, client, portal):
    login(client, "imp_a")
    response = upload(client, invoice_xlsx(VALID_ROWS), principal="PRIN-Q")
    assert response.status_code == 400
    assert "has no active connection with PRIN-Q" in html(response)
    assert count(app, ImportFile) == 0


def test_uploading_into_another_organization_is_refused(app, client, portal):
    login(client, "imp_a")
    response = upload(client, invoice_xlsx(VALID_ROWS), org=str(portal.b),
                      principal="PRIN-Q", integration="Ext B")
    assert response.status_code in (403, 404)
    assert count(app, ImportFile) == 0


def test_a_request_without_a_file_is_refused(app, client, portal):
    login(client, "imp_a")
    response = client.post("/data-import/upload", data={
        "module": "open_invoices", "principal": "PRIN-P", "integration": "Ext A"},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file to import" in html(response)


def test_a_duplicate_file_names_the_earlier_import_and_can_be_forced(app, client, portal):
    login(client, "imp_a")
    content = invoice_xlsx(VALID_ROWS)
    first = uploaded_id(upload(client, content, filename="first.xlsx"))
    drain(app)

    again = upload(client, content, filename="renamed.xlsx")
    assert again.status_code == 400
    page = html(again)
    message = html_module.unescape(re.search(r'id="import-error"[^>]*>([^<]+)<', page).group(1))
    # the screen's wording: its "Import it anyway" box, not the command line's --force
    assert re.fullmatch(
        rf"This file was already imported as import #{first} \(first\.xlsx, "
        r"\d{4}-\d\d-\d\d \d\d:\d\d, Archived\)\. To import it again, tick "
        r'"Import it anyway" below and press Import \(the file is kept\)\.', message), message
    assert re.search(r'<input type="checkbox" name="force" value="1"', page)
    assert "Import it anyway" in page
    # the form keeps what was chosen, the file included (issue 17)
    assert re.search(r'<option value="open_invoices"[^>]*selected', page)
    assert "File kept: <strong>renamed.xlsx</strong>" in page
    assert '<option value="Ext A" selected>' in page
    assert re.search(r'<option value="PRIN-P" selected>', page)
    assert count(app, ImportFile) == 1

    forced = uploaded_id(upload(client, content, filename="renamed.xlsx", force="1"))
    assert forced != first
    assert import_row(app, forced).forced is True
    drain(app)
    assert client.get(f"/data-import/status/{forced}").get_json()["status"] == "archived"
    # re-importing upserts on the natural key: still two invoices
    assert count(app, OpenInvoice, OpenInvoice.organization_id == portal.a) == 2


def test_the_same_file_for_another_module_is_no_duplicate(app, client, portal):
    with app.app_context():
        create_default_template(get_org("DIST-A"), "customers")
        db.session.commit()
    login(client, "imp_a")
    content = invoice_xlsx(VALID_ROWS)
    uploaded_id(upload(client, content))
    response = upload(client, content, module="customers")
    assert response.status_code == 302


def test_a_file_over_the_upload_limit_gets_a_readable_413(app, client, portal):
    login(client, "imp_a")
    before = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        response = upload(client, b"x" * 20000, filename="huge.csv")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = before
    assert response.status_code == 413
    page = html(response)
    assert "larger than the upload limit" in page
    assert "upload limit of 4 KB" in page, "a limit under 1 MB must not read as 0 MB"
    assert "File too large" in page
    assert count(app, ImportFile) == 0


def test_the_413_asked_for_as_json_is_json(app, client, portal):
    """Scripts that ask for JSON get the same message as a JSON error body."""
    login(client, "imp_a")
    before = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        response = client.post("/data-import/upload",
                               data={"file": (io.BytesIO(b"x" * 20000), "huge.csv")},
                               content_type="multipart/form-data",
                               headers={"Accept": "application/json"})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = before
    assert response.status_code == 413
    body = response.get_json()
    assert "larger than the upload limit of 4 KB" in body["message"]
    assert body["errors"]["file"] == [body["message"]]


# --- The Files list and a file's page (IMP-5, IMP-6, IMP-8) ------------------------------


def test_files_list_has_status_tabs_and_filters_by_status(app, client, mixed):
    clean = uploaded_id(upload(client, invoice_xlsx(VALID_ROWS), filename="clean.xlsx"))
    drain(app)
    response = client.get("/imports/list/")
    assert response.status_code == 200
    page = html(response)
    tabs = page[page.index('id="status-tabs"'):]
    tabs = tabs[:tabs.index("</ul>")]
    # issue 17: one tab per state, with the state's own word (Imported = waiting)
    labels = re.findall(r'href="/imports/list/\?_flt_0_status=(\w+)">([^<]+)</a>', tabs)
    assert labels == [("imported", "Imported"), ("processing", "Processing"),
                      ("needs_attention", "Needs attention"), ("failed", "Failed"),
                      ("archived", "Archived"), ("checked", "Checked"), ("undone", "Undone")]
    assert row_ids(page, "imports") == sorted([mixed.mixed, clean])
    archived = html(client.get("/imports/list/?_flt_0_status=archived"))
    assert row_ids(archived, "imports") == [clean]

    attention = html(client.get("/imports/list/?_flt_0_status=needs_attention"))
    assert row_ids(attention, "imports") == [mixed.mixed]
    active = re.search(r'<li class="active"[^>]*><a href="([^"]+)"', attention).group(1)
    assert active == "/imports/list/?_flt_0_status=needs_attention"
    assert row_ids(html(client.get("/imports/list/?_flt_0_status=archived")),
                   "imports") == [clean]
    assert row_ids(html(client.get("/imports/list/?_flt_0_status=failed")), "imports") == []


def test_show_page_has_the_counts_and_the_actions(app, client, mixed):
    response = client.get(f"/imports/show/{mixed.mixed}")
    assert response.status_code == 200
    page = html(response)

    def shown(label):
        match = re.search(rf"<th[^>]*>{re.escape(label)}</th>\s*<td>\s*<span[^>]*>([^<]*)</span>",
                          page)
        assert match, label
        return match.group(1).strip()

    assert shown("Rows") == "3"
    assert shown("Accepted") == "1"
    assert shown("Rejected") == "2"
    assert shown("Status") == "Needs attention"
    assert shown("Filename") == "mixed.xlsx"
    assert shown("SHA-256") == hashlib.sha256(mixed.mixed_bytes).hexdigest()
    assert f"/imports/download/{mixed.mixed}" in page
    assert f"/imports/rejected-rows/{mixed.mixed}" in page
    assert f"/rejections/list/?_flt_0_import_file={mixed.mixed}" in page
    assert 'id="reprocess-button"' not in page, "an Importer may not re-process"

    login(client, "sup_a")
    page = html(client.get(f"/imports/show/{mixed.mixed}"))
    assert 'id="reprocess-button"' in page
    assert f"/imports/rejected-rows/{mixed.mixed}" in page

    login(client, "prin_p")
    page = html(client.get(f"/imports/show/{mixed.mixed}"))
    assert f"/imports/download/{mixed.mixed}" in page
    for hidden in ('id="reprocess-button"', f"/imports/rejected-rows/{mixed.mixed}",
                   "/rejections/list/"):
        assert hidden not in page, f"a Principal is offered {hidden}"


def test_download_returns_the_original_bytes(app, client, mixed):
    response = client.get(f"/imports/download/{mixed.mixed}")
    assert response.status_code == 200
    assert response.data == mixed.mixed_bytes
    assert parse_options_header(response.headers["Content-Disposition"]) == (
        "attachment", {"filename": "mixed.xlsx"})


def test_rejected_rows_download_keeps_the_original_columns_and_formula_text(app, client, mixed):
    response = client.get(f"/imports/rejected-rows/{mixed.mixed}")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert parse_options_header(response.headers["Content-Disposition"]) == (
        "attachment", {"filename": "mixed_rejected.xlsx"})
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows())
    assert [c.value for c in rows[0]] == INVOICE_HEADER + ["Reason"]
    assert len(rows) == 3, "one line per rejected row"

    hyperlink_row, plus_row = rows[1], rows[2]
    assert hyperlink_row[0].value == "INV-11"
    assert hyperlink_row[1].value == HYPERLINK
    assert hyperlink_row[1].data_type == "s", "a formula-looking value must stay text"
    assert plus_row[0].value == "INV-12"
    assert plus_row[1].value == "+1"
    assert plus_row[1].data_type == "s"
    for row in rows[1:]:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    reason = plus_row[len(INVOICE_HEADER)].value
    assert "'+1' does not exist" in reason and "not a valid date" in reason
    assert HYPERLINK + "' does not exist" in hyperlink_row[len(INVOICE_HEADER)].value
    assert hyperlink_row[len(INVOICE_HEADER)].data_type == "s"


def test_a_file_without_rejections_downloads_only_the_header(app, client, portal):
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(VALID_ROWS)))
    drain(app)
    ws = load_workbook(io.BytesIO(client.get(f"/imports/rejected-rows/{pk}").data)).active
    assert [[c.value for c in row] for row in ws.iter_rows()] == [INVOICE_HEADER + ["Reason"]]


def test_a_supervisor_reprocesses_a_file_and_nothing_is_duplicated(app, client, mixed):
    before_invoices = count(app, OpenInvoice)
    login(client, "imp_a")
    response = client.post(f"/imports/reprocess/{mixed.mixed}")
    assert response.status_code == 403
    assert import_row(app, mixed.mixed).status == ImportStatus.needs_attention

    login(client, "sup_a")
    response = client.post(f"/imports/reprocess/{mixed.mixed}")
    assert response.status_code == 302
    assert import_row(app, mixed.mixed).status == ImportStatus.imported
    landing = client.get(response.headers["Location"])
    assert landing.status_code == 200, "the Supervisor lands on a page it may not see"

    # fix the master data, then run the file again
    with app.app_context():
        db.session.add(Customer(organization_id=mixed.a, code="+1", name="Plus one",
                                balance=0))
        db.session.commit()
    drain(app)
    row = import_row(app, mixed.mixed)
    assert row.status == ImportStatus.needs_attention
    assert (row.rows_done, row.accepted, row.rejected) == (3, 1, 2)
    assert count(app, OpenInvoice) == before_invoices
    # the rejections of the first run are replaced, not added to: "+1" is known now
    with app.app_context():
        reasons = db.session.execute(
            select(ImportRejection.row, ImportRejection.reason)
            .where(ImportRejection.import_id == mixed.mixed)
            .order_by(ImportRejection.row)).all()
    assert [tuple(r) for r in reasons] == [(3, "unknown_customer"), (4, "invalid_date")]


def test_reprocess_refuses_a_file_that_is_waiting(app, client, portal):
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(VALID_ROWS)))
    login(client, "sup_a")
    response = client.post(f"/imports/reprocess/{pk}", follow_redirects=True)
    assert response.status_code == 200
    assert "this file is waiting to be processed already" in html(response)


# --- The Rejection log (IMP-8) ------------------------------------------------------------


def test_rejection_log_filters_by_file_and_shows_the_original_row(app, client, mixed):
    other = uploaded_id(upload(client, invoice_xlsx(
        [["INV-20", "NOPE", "2025-01-31", 1, "PO", None]]), filename="other.xlsx"))
    drain(app)
    mine, theirs = rejection_ids(app, mixed.mixed), rejection_ids(app, other)
    assert len(mine) == 3 and len(theirs) == 1

    login(client, "sup_a")
    everything = html(client.get("/rejections/list/"))
    assert row_ids(everything, "rejections") == sorted(mine + theirs)
    filtered = client.get(f"/rejections/list/?_flt_0_import_file={mixed.mixed}")
    assert filtered.status_code == 200
    assert row_ids(html(filtered), "rejections") == mine
    assert "<td>Open Invoices</td>" in html(filtered)  # the module's label, not its key
    assert "<td>open_invoices</td>" not in html(filtered)
    assert row_ids(html(client.get(f"/rejections/list/?_flt_0_import_file={other}")),
                   "rejections") == theirs

    with app.app_context():
        hyperlink = db.session.execute(select(ImportRejection).where(
            ImportRejection.import_id == mixed.mixed, ImportRejection.row == 3)).scalar_one()
        pk = hyperlink.id
    page = html(client.get(f"/rejections/show/{pk}"))
    table = re.search(r'<table[^>]*id="original-row"[^>]*>(.*?)</table>', page, re.S)
    assert table, "no original row table"
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", table.group(1))
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table.group(1))
    assert headers == INVOICE_HEADER
    assert cells[0] == "INV-11"
    assert cells[1] == '=HYPERLINK(&#34;http://evil.test&#34;,&#34;x&#34;)'
    assert re.search(r'<th class="danger">Customer Code</th>', table.group(1))
    assert "Reason code" in page and "Unknown customer" in page


def test_a_supervisor_marks_rejections_resolved(app, client, mixed):
    ids = rejection_ids(app, mixed.mixed)
    login(client, "sup_a")
    response = client.post("/rejections/action_post",
                           data={"action": "resolve", "rowid": [str(pk) for pk in ids[:2]]})
    assert response.status_code == 302
    with app.app_context():
        resolved = dict(db.session.execute(
            select(ImportRejection.id, ImportRejection.resolved)
            .where(ImportRejection.id.in_(ids))).all())
        stamped = db.session.execute(select(ImportRejection.resolved_at)
                                     .where(ImportRejection.id == ids[0])).scalar()
    assert resolved == {ids[0]: True, ids[1]: True, ids[2]: False}
    assert stamped is not None


def test_an_importer_may_not_mark_rejections_resolved(app, client, mixed):
    ids = rejection_ids(app, mixed.mixed)
    login(client, "imp_a")
    response = client.post("/rejections/action_post",
                           data={"action": "resolve", "rowid": [str(pk) for pk in ids]})
    assert denied(response)
    assert count(app, ImportRejection, ImportRejection.resolved.is_(True)) == 0


def test_a_supervisor_of_another_distributor_may_not_resolve(app, client, mixed):
    ids = rejection_ids(app, mixed.mixed)
    login(client, "sup_b")
    response = client.post("/rejections/action_post",
                           data={"action": "resolve", "rowid": [str(ids[0])]})
    assert response.status_code in (403, 404)
    response = client.post("/rejections/action_post",
                           data={"action": "resolve", "rowid": ["999999"]})
    assert response.status_code == 404
    # FAB's single-row action route is a GET: refused (the CSRF extension is installed)
    for pk in (ids[0], 999999):
        assert client.get(f"/rejections/action/resolve/{pk}").status_code in (302, 403, 404)
    assert count(app, ImportRejection, ImportRejection.resolved.is_(True)) == 0


def test_admin_marks_rejections_of_any_distributor_resolved(app, client, world, mixed):
    ids = rejection_ids(app, mixed.mixed)
    world.user("root", roles.ADMIN)
    login(client, "root")
    response = client.post("/rejections/action_post",
                           data={"action": "resolve", "rowid": [str(pk) for pk in ids]})
    assert response.status_code == 302
    assert count(app, ImportRejection, ImportRejection.resolved.is_(True)) == len(ids)


# --- Tenancy (SEC-2) ------------------------------------------------------------------------


def test_another_distributors_importer_gets_404_everywhere(app, client, mixed):
    rejection = rejection_ids(app, mixed.mixed)[0]
    login(client, "imp_b")
    for url in (f"/imports/show/{mixed.mixed}", f"/imports/download/{mixed.mixed}",
                f"/imports/rejected-rows/{mixed.mixed}", f"/data-import/status/{mixed.mixed}",
                f"/data-import/progress/{mixed.mixed}", f"/rejections/show/{rejection}"):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    assert row_ids(html(client.get("/imports/list/")), "imports") == []
    assert row_ids(html(client.get(f"/rejections/list/?_flt_0_import_file={mixed.mixed}")),
                   "rejections") == []

    login(client, "sup_b")
    assert client.post(f"/imports/reprocess/{mixed.mixed}").status_code == 404
    assert import_row(app, mixed.mixed).status == ImportStatus.needs_attention


def test_a_principal_sees_only_files_shared_with_it_while_connected(app, client, world, mixed):
    login(client, "imp_a")
    content = invoice_xlsx(VALID_ROWS)
    for_r = uploaded_id(upload(client, content, filename="for-r.xlsx", principal="PRIN-R"))
    drain(app)

    login(client, "prin_p")
    assert row_ids(html(client.get("/imports/list/")), "imports") == [mixed.mixed]
    assert client.get(f"/imports/show/{mixed.mixed}").status_code == 200
    download = client.get(f"/imports/download/{mixed.mixed}")
    assert download.status_code == 200 and download.data == mixed.mixed_bytes
    for url in (f"/imports/show/{for_r}", f"/imports/download/{for_r}"):
        assert client.get(url).status_code == 404, url
    # the rejection log and the rejected rows are not the principal's business
    assert denied(client.get(f"/imports/rejected-rows/{mixed.mixed}"))
    assert denied(client.get("/rejections/list/"))

    login(client, "prin_r")
    assert row_ids(html(client.get("/imports/list/")), "imports") == [for_r]
    assert client.get(f"/imports/download/{for_r}").data == content

    set_connection(world, "DIST-A", "PRIN-P", False)
    login(client, "prin_p")
    assert row_ids(html(client.get("/imports/list/")), "imports") == []
    for url in (f"/imports/show/{mixed.mixed}", f"/imports/download/{mixed.mixed}"):
        assert client.get(url).status_code == 404, url


def test_admin_sees_every_distributors_files(app, client, world, mixed):
    with app.app_context():
        create_import(get_org("DIST-B"), "open_invoices", "b.xlsx", invoice_xlsx(VALID_ROWS))
    b_file = count(app, ImportFile, ImportFile.organization_id == mixed.b)
    assert b_file == 1
    world.user("root", roles.ADMIN)
    login(client, "root")
    assert len(row_ids(html(client.get("/imports/list/")), "imports")) == 2


def test_the_progress_page_does_not_run_script_from_the_file(app, client, portal):
    """The progress page embeds the status (with rejected values) in a <script>: a value
    that closes the script tag must not end it."""
    evil = "</script><script>alert(1)</script>"
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(
        [["INV-1", evil, "2025-01-31", 1, "PO", None]]), filename="evil.xlsx"))
    drain(app)
    assert client.get(f"/data-import/status/{pk}").get_json()["rejections"][0]["value"] == evil
    page = html(client.get(f"/data-import/progress/{pk}"))
    assert "<script>alert(1)" not in page
    embedded = re.search(r"if \(!render\((.*)\)\) poll\(\);", page).group(1)
    assert json.loads(embedded)["rejections"][0]["value"] == evil
    assert page.count("</script>") == page.count("<script")


@pytest.mark.parametrize("filename", ["faktur; januari, 2025.xlsx", "penjualan – ü 数据.xlsx"])
def test_download_names_survive_separators_and_non_ascii(app, client, portal, filename):
    login(client, "imp_a")
    content = invoice_xlsx([["INV-1", "C001", "2025-01-31", 1, "PO", None]])
    pk = uploaded_id(upload(client, content, filename=filename))
    drain(app)
    response = client.get(f"/imports/download/{pk}")
    assert response.status_code == 200 and response.data == content
    rejected = client.get(f"/imports/rejected-rows/{pk}")
    assert rejected.status_code == 200
    stem = filename.rsplit(".", 1)[0]
    for got, expected in ((response, filename), (rejected, f"{stem}_rejected.xlsx")):
        header = got.headers["Content-Disposition"]
        header.encode("latin-1")  # a WSGI server can send only latin-1 header values
        kind, options = parse_options_header(header)
        assert kind == "attachment"
        assert options["filename"] == expected, header


def test_modules_without_a_template_are_named_before_upload(app, client, portal):
    from app.importing.modules import MODULES
    from app.services.templates import add_default_templates
    login(client, "imp_a")
    page = html_module.unescape(client.get("/data-import/").get_data(as_text=True))
    note = re.search(r'id="missing-templates"[^>]*>([^<]+)<', page).group(1)
    others = ", ".join(m.label for m in MODULES.values() if m.name != "open_invoices")
    assert note == (f"DIST-A has no mapper template for {others}: files of these modules are "
                    "refused until there is one. A Template Editor or the platform Admin can "
                    "fix this.")
    assert re.search(r'id="import-button"\s*>', page), "open invoices can still be imported"

    with app.app_context():
        add_default_templates(get_org("DIST-A"))
        db.session.commit()
    assert 'id="missing-templates"' not in client.get("/data-import/").get_data(as_text=True)
