"""Builders shared by the tests: organizations ready to import, template tweaks, files,
the CLI, the embedded queue, counts, the import screen's upload, and real-Redis workers.
Fixtures built on them (d1, portal, redis_app, ...) are in conftest.py."""
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.importing.modules import MODULES
from app.models import (
    BalanceAdjustment,
    Customer,
    ImportFile,
    ImportRejection,
    InvoiceCharge,
    MapperTemplate,
    OpenInvoice,
    Organization,
    Product,
    StockEntry,
    TemplateField,
)
from app.queue import queue
from app.security import roles
from app.services import directory
from app.services.returns import add_partner, add_seed_004_master_data, add_unit
from app.services.templates import create_default_template

ROOT = Path(__file__).resolve().parent.parent

MB = 1024 * 1024
SPEC_KEYS = {"import_id", "status", "rows", "accepted", "rejected", "rejections", "read_as"}
READ_AS_XLSX = {"format": "xlsx", "encoding": None, "delimiter": None, "sheet": "Sheet"}
REJECTION_KEYS = {"row", "column", "field", "value", "reason", "message"}
INVOICE_HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                  "Customer PO", "Location Code"]
CREDIT_HEADER = ["Customer Code", "Credit Date", "Reference", "Amount"]
BOXES_HEADER = ["Product Code", "Location Code", "Boxes", "Units per Box", "Date"]
COUNTED = {"imports": ImportFile, "rejections": ImportRejection, "invoices": OpenInvoice,
           "charges": InvoiceCharge, "credits": BalanceAdjustment, "stock": StockEntry,
           "customers": Customer, "products": Product}


# --- building the world -------------------------------------------------------------------

def speaks(app, code, language="id", time_zone="Asia/Jakarta"):
    """The organization `code` reads `language` in `time_zone` (its new users do)."""
    with app.app_context():
        org = db.session.execute(select(Organization).filter_by(code=code)).scalar_one()
        org.language, org.time_zone = language, time_zone
        db.session.commit()


def mailed_import(app, filename, content, org="D1"):
    """`content` uploaded as `filename` by a new importer of `org` (ina), run by the
    queue's worker: the import's id, and the subject and body of the result e-mail kept
    in the outbox."""
    from app.models.mail import MailMessage
    from app.services.imports import create_import
    with app.app_context():
        user = directory.add_user("ina", org, roles.IMPORTER, "ina@example.test",
                                  "Secret-pass-123!")
        db.session.commit()
        imp = create_import(directory.get_org(org), "open_invoices", filename, content,
                            user=user)
        db.session.commit()
        pk = imp.id
    with app.app_context():
        queue().worker(app).work(burst=True)
    with app.app_context():
        mail = db.session.execute(select(MailMessage).filter_by(import_id=pk)).scalar_one()
        return pk, mail.subject, mail.body


def make_distributor(app, code="D1", principal="P1", multi_location=False,
                     locations=("JKT",), customers=("C001", "C002"),
                     products=(("P001", "btl"), ("P002", "pcs")), modules=tuple(MODULES),
                     integration="Files"):
    """A distributor ready to import: an active connection with `principal`, an active
    External integration, locations, customers, products and the default templates."""
    with app.app_context():
        org = directory.add_org(code, f"{code} name", "distributor", multi_location)
        if principal:
            if db.session.execute(select(Organization).where(
                    Organization.code == principal)).scalar() is None:
                directory.add_org(principal, f"{principal} name", "principal")
            directory.connect(code, principal)
        if integration:
            directory.add_integration(code, integration, "external")
        for location in locations:
            directory.add_location(code, location, f"{location} warehouse")
        for customer in customers:
            db.session.add(Customer(organization=org, code=customer, name=f"{customer} name",
                                    balance=0))
        for product, unit in products:
            db.session.add(Product(organization=org, code=product, name=f"{product} name",
                                   unit=unit))
        for module in modules:
            create_default_template(org, module)
        db.session.commit()
        return org.id


def set_template(app, org_code, module, **attributes):
    """Change the (only) template of a module: policy, sheet, header_row, ..."""
    with app.app_context():
        template = _template(org_code, module)
        for name, value in attributes.items():
            setattr(template, name, value)
        db.session.commit()


def set_line(app, org_code, module, field, **attributes):
    """Change one field line of a module's template (decimal_separator, date_formats, ...)."""
    with app.app_context():
        line = next(f for f in _template(org_code, module).fields if f.field == field)
        for name, value in attributes.items():
            setattr(line, name, value)
        db.session.commit()


def _template(org_code, module):
    return db.session.execute(
        select(MapperTemplate).join(Organization, MapperTemplate.organization_id == Organization.id)
        .where(Organization.code == org_code, MapperTemplate.module == module)).scalar_one()


# --- files --------------------------------------------------------------------------------

def xlsx(path, rows, sheet=None, extra_sheets=()):
    """An .xlsx whose (first) sheet holds `rows`; extra_sheets: [(name, rows)] before it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for name, other_rows in extra_sheets:
        ws.title = name
        for row in other_rows:
            ws.append(row)
        ws = wb.create_sheet()
    if sheet:
        ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return str(path)


def write_bytes(path, data):
    path.write_bytes(data)
    return str(path)


def invoice_file(tmp_path, rows, name="invoices.xlsx"):
    return xlsx(tmp_path / name, [INVOICE_HEADER, *rows])


# --- running the CLI ----------------------------------------------------------------------

def muara(runner, *args):
    return runner.invoke(args=["muara", *args])


def run_import(runner, path, module="open_invoices", org="D1", *extra, ok=True):
    """`muara import PATH --module M --org ORG --wait`: (click result, parsed JSON or None).
    ok: the command is expected to exit 0 (else non-zero)."""
    result = muara(runner, "import", path, "--module", module, "--org", org, "--wait", *extra)
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    else:
        assert result.exit_code != 0, result.output
    data = json.loads(result.stdout) if result.stdout.strip() else None
    return result, data


def refused(result, message):
    """Not taken: non-zero exit, nothing on stdout, one line "Error: ..." on stderr."""
    assert result.exit_code != 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"


def rej(row, column, field, value, reason, message):
    return {"row": row, "column": column, "field": field, "value": value, "reason": reason,
            "message": message}


def counts(app):
    with app.app_context():
        return {name: db.session.scalar(select(func.count()).select_from(model))
                for name, model in COUNTED.items()}


def check_counts(app, data):
    """The JSON tells the truth, and it adds up: rows = accepted + rejected; every rejected
    record has at least one rejection and nothing else has; the database agrees."""
    assert data["rows"] == data["accepted"] + data["rejected"]
    assert len({r["row"] for r in data["rejections"]}) == data["rejected"]
    with app.app_context():
        imp = db.session.get(ImportFile, data["import_id"])
        assert (str(imp.status), imp.rows_done, imp.accepted, imp.rejected) == \
            (data["status"], data["rows"], data["accepted"], data["rejected"])
        stored = db.session.scalar(select(func.count()).select_from(ImportRejection)
                                   .where(ImportRejection.import_id == imp.id))
        assert stored == len(data["rejections"])


def invoices(app, org="D1"):
    """Open invoices of ORG: reference -> (customer, date, balance, PO, location, carrier,
    its charges as [(kind, amount)])."""
    with app.app_context():
        rows = db.session.execute(
            select(OpenInvoice).join(Organization, OpenInvoice.organization_id == Organization.id)
            .where(Organization.code == org).order_by(OpenInvoice.reference)).scalars().all()
        return {inv.reference: (inv.customer.code, inv.invoice_date, inv.balance,
                                inv.customer_po, inv.location.code if inv.location else None,
                                inv.carrier, [(c.kind, c.amount) for c in inv.charges])
                for inv in rows}


def balances(app, org="D1"):
    with app.app_context():
        return dict(db.session.execute(
            select(Customer.code, Customer.balance)
            .join(Organization, Customer.organization_id == Organization.id)
            .where(Organization.code == org)).all())


def import_status(app, import_id):
    with app.app_context():
        imp = db.session.get(ImportFile, import_id)
        return str(imp.status), imp.error_code, imp.error_message


GOOD_INVOICES = [
    ["INV-1", "C001", "2025-01-31", 100, "PO-1", "JKT"],
    ["INV-2", "C002", "2025-02-01", 20.125, "PO-2", None],
]


# --- the queue ------------------------------------------------------------------------------

def drain(app):
    """Run the embedded queue's worker until the queue is empty."""
    with app.app_context():
        worker = queue().worker(app, thread=True)
    thread = threading.Thread(target=worker.work, kwargs={"burst": True})
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the embedded worker did not finish"


def count(app, model, *where, **equal):
    """Rows of `model` matching the clauses `where` and the column values `equal`."""
    where += tuple(getattr(model, name) == value for name, value in equal.items())
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


# --- a real Redis and worker processes (the PostgreSQL + Redis run of .ci/run) ----------------

REDIS_URL = os.environ.get("MUARA_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs a real Redis: set MUARA_TEST_REDIS_URL (.ci/run does)")


def worker_process(redis_app, *extra, burst=True):
    env = dict(os.environ, DATABASE_URL=redis_app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=REDIS_URL, MUARA_QUEUE=redis_app.config["QUEUE_NAME"],
               MUARA_REQUEUE_GRACE_SECONDS="0")
    args = [sys.executable, "-m", "flask", "--app", "run", "muara", "worker", *extra]
    if burst:
        args.append("--burst")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


# --- the Data Import screen -------------------------------------------------------------------

def invoice_xlsx(rows, header=INVOICE_HEADER):
    """An .xlsx as a user would type it: text stays text, even when it starts with "="."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for values in [header] + list(rows):
        ws.append(values)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def html(response):
    return response.get_data(as_text=True)


def upload(client, content, filename="invoices.xlsx", **fields):
    data = {"module": "open_invoices", "principal": "PRIN-P", "integration": "Ext A",
            "template": ""}
    data.update(fields)
    data["file"] = (io.BytesIO(content), filename)
    return client.post("/data-import/upload", data=data, content_type="multipart/form-data")


def uploaded_id(response):
    assert response.status_code == 302, (response.status_code, html(response)[:2000])
    match = re.fullmatch(r"/data-import/progress/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def import_screen_portal(app, world):
    """Distributor A connected to principals P and R (active) and Q (inactive), with an
    active External integration, an inactive one and a DMS one, the default Open Invoices
    template and two customers; distributor B (connected to Q) is the other tenant; one
    login per role."""
    with app.app_context():
        queue().rq.empty()  # nothing left over from other tests' queues
    ids = SimpleNamespace()
    ids.a = world.org("DIST-A")
    ids.b = world.org("DIST-B")
    for code in ("PRIN-P", "PRIN-Q", "PRIN-R"):
        world.org(code, kind="principal")
    world.run(directory.connect, "DIST-A", "PRIN-P", active=True)
    world.run(directory.connect, "DIST-A", "PRIN-R", active=True)
    world.run(directory.connect, "DIST-A", "PRIN-Q", active=False)
    world.run(directory.connect, "DIST-B", "PRIN-Q", active=True)
    world.run(directory.add_integration, "DIST-A", "Ext A", "external")
    world.run(directory.add_integration, "DIST-A", "Old Ext A", "external", active=False)
    world.run(directory.add_integration, "DIST-A", "DMS A", "dms")
    world.run(directory.add_integration, "DIST-B", "Ext B", "external")
    with app.app_context():
        for code in ("DIST-A", "DIST-B"):
            org = directory.get_org(code)
            create_default_template(org, "open_invoices")
            for customer in ("C001", "C002"):
                db.session.add(Customer(organization_id=org.id, code=customer,
                                        name=f"{customer} of {code}", balance=0))
        db.session.commit()
    world.user("imp_a", roles.IMPORTER, "DIST-A")
    world.user("sup_a", roles.SUPERVISOR, "DIST-A")
    world.user("imp_b", roles.IMPORTER, "DIST-B")
    world.user("sup_b", roles.SUPERVISOR, "DIST-B")
    world.user("prin_p", roles.PRINCIPAL, "PRIN-P")
    world.user("prin_r", roles.PRINCIPAL, "PRIN-R")
    return ids


# --- customer returns ---------------------------------------------------------------------

def make_returns_distributor(app, code="D1", second_partner=False):
    org_id = make_distributor(app, code=code, customers=("C001", "10010"),
                              products=(("P001", "btl"), ("10010", "pc")), modules=())
    with app.app_context():
        org = db.session.get(Organization, org_id)
        add_seed_004_master_data(org)
        add_unit(org, "btl", "bottle")
        if second_partner:
            add_partner(org, "90001", "Second sales organization")
        db.session.commit()
    return org_id


# --- reading a form as a browser would submit it -----------------------------------------

class FormReader(HTMLParser):
    """What a browser would submit from one form: inputs and each select's selected option."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields = []  # (name, value)
        self.select = None
        self.options = []
        self.selects = {}  # name -> {"options": [(value, text)], "selected": value}
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") != "file":
            self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self.select = attrs["name"]
            self.selects[self.select] = {"options": [], "selected": None}
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            self._option = [value, ""]
            self.selects[self.select]["options"].append(self._option)
            if "selected" in attrs:
                self.selects[self.select]["selected"] = value

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select" and self.select:
            chosen = self.selects[self.select]
            if chosen["selected"] is None and chosen["options"]:
                chosen["selected"] = chosen["options"][0][0]
            self.fields.append((self.select, chosen["selected"]))
            self.select = None
        elif tag == "form":
            self.inside = False


def read_form(html, form_id):
    reader = FormReader(form_id)
    reader.feed(html)
    assert reader.fields, f"no form {form_id} on the page"
    return reader


def form_data(reader, **changes):
    data = {}
    for name, value in reader.fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name.replace("__", "-")] = [value]
    return data


# moved from tests/test_import_screens.py
HYPERLINK = '=HYPERLINK("http://evil.test","x")'


VALID_ROWS = [
    ["INV-1", "C001", "2025-01-31", 100.5, "PO-1", None],
    ["INV-2", "C002", "2025-02-01", 20, "PO-2", None],
]


# Row 2 is fine; row 3 names a customer that looks like a formula; row 4 has "+1" as a
# customer code and a date that does not exist (two reasons, one line in the download).
MIXED_ROWS = [
    ["INV-10", "C001", "2025-01-31", 10, "PO-10", None],
    ["INV-11", HYPERLINK, "2025-01-31", 11, "PO-11", None],
    ["INV-12", "+1", "2025-13-01", 12, "PO-12", None],
]


def rejection_ids(app, import_id):
    with app.app_context():
        return db.session.execute(
            select(ImportRejection.id).where(ImportRejection.import_id == import_id)
            .order_by(ImportRejection.id)).scalars().all()


# moved from tests/test_service_links.py
def page_of(pk):
    return f"/service-links/integration/{pk}"


def authorize_via_fake(client, pk):
    """Press Connect, let the fake provider approve, come back to the callback."""
    response = client.post(f"{page_of(pk)}/connect")
    assert response.status_code == 302
    authorize = response.headers["Location"]
    assert urlparse(authorize).path == "/oauth/authorize"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        urllib.request.build_opener(NoRedirect).open(authorize)
        raise AssertionError("the provider did not redirect back")
    except urllib.error.HTTPError as exc:
        back = urlparse(exc.headers["Location"])
    assert back.path == "/service-links/callback"
    return client.get(f"{back.path}?{back.query}")


def connect(client, pk):
    response = authorize_via_fake(client, pk)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


# moved from tests/test_template_forms.py
NAME = "ERP invoices"


# field -> source column of the ERP's export
ERP_COLUMNS = {"reference": "Inv No", "customer": "Cust", "invoice_date": "Date",
               "balance": "Amount", "customer_po": "PO"}


class ScreenForm(FormReader):
    """FormReader, also as a browser sends checkboxes (only when checked) and textareas."""

    def handle_starttag(self, tag, attrs):
        attrs_dict = dict(attrs)
        if self.inside and tag == "input" and attrs_dict.get("type") == "checkbox":
            if "checked" in attrs_dict:
                self.fields.append((attrs_dict["name"], attrs_dict.get("value", "on")))
            return
        if self.inside and tag == "textarea":
            self._textarea = [attrs_dict["name"], ""]
            return
        super().handle_starttag(tag, attrs)

    def handle_data(self, data):
        if getattr(self, "_textarea", None) is not None:
            self._textarea[1] += data
            return
        super().handle_data(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and getattr(self, "_textarea", None) is not None:
            self.fields.append(tuple(self._textarea))
            self._textarea = None
            return
        super().handle_endtag(tag)


def screen_form(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    reader = ScreenForm("model_form")
    reader.feed(response.get_data(as_text=True))
    assert reader.fields, f"no model_form on {url}"
    return reader


def submit(client, url, changes, unchecked=()):
    """Post the form of `url` as the screen shows it, with `changes`; `unchecked`: boxes
    the user clears."""
    data = form_data(screen_form(client, url), **changes)
    for name in unchecked:
        data.pop(name, None)
    return client.post(url, data=data, follow_redirects=True)


def flashes(response, category):
    page = response.get_data(as_text=True)
    return [" ".join(re.sub(r"<[^>]+>", "", text).replace("&times;", "").split())
            for text in re.findall(rf'<div class="alert alert-{category}[^"]*"[^>]*>(.*?)</div>',
                                   page, re.S)]


def lines(app, template_id):
    with app.app_context():
        return {line.field: (line.source_column, line.required, line.position)
                for line in db.session.execute(select(TemplateField).where(
                    TemplateField.template_id == template_id)).scalars()}


def template_id(app, name=NAME):
    with app.app_context():
        return db.session.execute(select(MapperTemplate.id).where(
            MapperTemplate.name == name)).scalar_one()


def line_id(app, template, field):
    with app.app_context():
        return db.session.execute(select(TemplateField.id).where(
            TemplateField.template_id == template, TemplateField.field == field)).scalar_one()


def add_template(client, org_id, **changes):
    return submit(client, "/templateview/add", {
        "organization": str(org_id), "name": NAME, "module": "open_invoices",
        "file_format": "", "sheet": "", "header_row": "1", "policy": "accept_valid",
        **changes})


def add_line(client, template, position, field, source_column, required=True, **changes):
    return submit(client, "/templatefieldview/add", {
        "template": str(template), "position": str(position), "field": field,
        "source_column": source_column, **({"required": "y"} if required else {}),
        **changes}, unchecked=() if required else ("required",))


# moved from tests/test_templates.py
SAMPLE_HEADERS = ["invoice no", "cust code", "date of invoice", "balance", "PO", "location"]


def file_part(content, filename):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return (io.BytesIO(content), filename)


def import_file(client, content, filename="template.json", **form):
    data = {"file": file_part(content, filename), **form}
    return client.post("/templateview/import", data=data, content_type="multipart/form-data")


def error_text(response):
    match = re.search(r'id="template-error"[^>]*>(.*?)</div>', response.get_data(as_text=True),
                      re.S)
    assert match, "no error message on the page"
    return " ".join(match.group(1).split())


def sample_xlsx(headers=SAMPLE_HEADERS, rows=None):
    rows = rows if rows is not None else [
        ["INV-1", "C001", dt.date(2025, 1, 31), 1250.5, "PO-1", None],
        ["INV-2", "C001", dt.date(2025, 2, 1), 99, "PO-2", None],
        ["INV-3", "C002", dt.date(2025, 2, 2), 10.25, "PO-3", None],
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def propose(client, content, filename="sample.xlsx", module="open_invoices", **form):
    return client.post("/templateview/propose", data={
        "module": module, "file": file_part(content, filename), **form},
        content_type="multipart/form-data")


def rich_template(org_id):
    """The default open-invoices template with every kind of line setting filled in."""
    org = db.session.get(Organization, org_id)
    template = create_default_template(org, "open_invoices")
    template.name = "Invoices of the ERP"
    template.sheet = "Data"
    template.header_row = 3
    template.file_format = "xlsx"
    by_field = {line.field: line for line in template.fields}
    by_field["invoice_date"].date_formats = "%d/%m/%Y, %Y-%m-%d"
    by_field["balance"].decimal_separator = ","
    by_field["balance"].thousands_separator = "."
    by_field["customer"].case = "upper"
    by_field["customer_po"].default_value = "NO-PO"
    by_field["customer_po"].required = False
    by_field["location"].value_map = "J=JKT; S=SBY"
    by_field["location"].trim = False
    return template


# moved from tests/test_template_forms.py
def erp_file(tmp_path, header, rows, name="erp.xlsx"):
    return xlsx(tmp_path / name, [header, *rows])


ERP_HEADER = ["Inv No", "Cust", "Date", "Amount", "PO"]


ERP_ROWS = [["E-1", "C001", "2025-03-01", 12.5, "PO-E1"],
            ["E-2", "C002", "2025-03-02", 7, "PO-E2"]]
