"""Demo data (`muara demo`): a distributor, a principal, a connection, an integration,
master data and one login per role. Passwords are random and printed once."""
import secrets

from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.models import Customer, Organization, Product
from app.security import roles
from app.services import directory
from app.services.transaction import owns_transaction

DEMO_USERS = [
    ("admin", None, roles.ADMIN),
    ("importer", "DEMO-DIST", roles.IMPORTER),
    ("supervisor", "DEMO-DIST", roles.SUPERVISOR),
    ("editor", "DEMO-DIST", roles.TEMPLATE_EDITOR),
    ("principal", "DEMO-PRIN", roles.PRINCIPAL),
    ("orgadmin", "DEMO-DIST", roles.ORG_ADMIN),
]


def demo_loaded():
    return db.session.execute(
        select(Organization.id).where(Organization.code == "DEMO-DIST")).first() is not None


@owns_transaction  # one transaction: a demo that fails part-way writes nothing
def load_demo(password_for=None):
    """Create the demo organizations and users; returns [(username, password, role)]."""
    if demo_loaded():
        raise MuaraError("demo data is already loaded (organization DEMO-DIST exists)")
    password_for = password_for or (lambda username: secrets.token_urlsafe(9))

    dist = directory.add_org("DEMO-DIST", "Demo Distributor", "distributor", multi_location=True)
    directory.add_location("DEMO-DIST", "JKT", "Jakarta warehouse")
    directory.add_location("DEMO-DIST", "SBY", "Surabaya warehouse")
    principal = directory.add_org("DEMO-PRIN", "Demo Principal", "principal")
    # Indonesian companies: their people read Bahasa Indonesia in Jakarta time (issue 16).
    for org in (dist, principal):
        org.language, org.time_zone = "id", "Asia/Jakarta"
    directory.connect("DEMO-DIST", "DEMO-PRIN", active=True)
    directory.add_integration("DEMO-DIST", "External", "external")
    for n, name in enumerate(["Toko Makmur", "Warung Sejahtera", "CV Sentosa",
                              "PT Maju Jaya", "Toko Berkah"], start=1):
        db.session.add(Customer(organization=dist, code=f"C{n:03}", name=name, balance=0))
    for n, (name, unit) in enumerate([("Mineral water 600ml", "btl"), ("Instant noodles", "pcs"),
                                      ("Cooking oil 1L", "btl"), ("Rice 5kg", "bag"),
                                      ("Sweet soy sauce", "btl")], start=1):
        db.session.add(Product(organization=dist, code=f"P{n:03}", name=name, unit=unit))
    db.session.flush()
    from app.services.returns import add_seed_004_master_data
    add_seed_004_master_data(dist)  # customer returns: what seed 004's samples reference
    from app.services.templates import add_default_templates
    add_default_templates(dist)

    logins = []
    for username, org_code, role in DEMO_USERS:
        password = password_for(username)
        directory.add_user(username, org_code, role, f"{username}@demo.muara.local", password,
                           first_name=username.capitalize(), last_name="Demo")
        logins.append((username, password, role))
    return logins


# `muara demo --invoices N` (issue 14's load test and list benchmarks): DEMO-DIST's many
# customers and N open invoices written by one INSERT ... SELECT in the database (dates
# over 2,000 days, customers round robin), far faster than any import. Not an import:
# the invoices belong to no file, so only the distributor's people see them.
BULK_CUSTOMERS = 5_000
BULK_INVOICES_POSTGRESQL = """
INSERT INTO open_invoice (organization_id, reference, customer_id, invoice_date, balance,
                          customer_po, carrier)
SELECT :org, 'DEMO-' || g,
       CAST(:first_customer AS integer) + (g % CAST(:customers AS integer)),
       DATE '2019-01-01' + (g % 2000), 10 + g % 997, 'PO-' || g, 'No Carrier'
FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS g
"""
BULK_INVOICES_SQLITE = """
WITH RECURSIVE g(n) AS (SELECT :start UNION ALL SELECT n + 1 FROM g WHERE n < :stop)
INSERT INTO open_invoice (organization_id, reference, customer_id, invoice_date, balance,
                          customer_po, carrier)
SELECT :org, 'DEMO-' || n, :first_customer + (n % :customers),
       date('2019-01-01', '+' || (n % 2000) || ' days'), 10 + n % 997, 'PO-' || n,
       'No Carrier'
FROM g
"""


@owns_transaction
def add_demo_invoices(rows, customers=BULK_CUSTOMERS):
    """DEMO-DIST's customers B00000..B04999 (made once) and `rows` more open invoices;
    returns the distributor's open invoice count."""
    from sqlalchemy import func, insert, text

    from app.models import OpenInvoice
    dist = db.session.execute(
        select(Organization).where(Organization.code == "DEMO-DIST")).scalar_one_or_none()
    if dist is None:
        raise MuaraError("load the demo data first (organization DEMO-DIST is missing)")
    codes = [f"B{n:05}" for n in range(customers)]
    have = set(db.session.execute(select(Customer.code).where(
        Customer.organization_id == dist.id, Customer.code.in_(codes[:1]))).scalars())
    if not have:
        db.session.execute(insert(Customer), [
            {"organization_id": dist.id, "code": code, "name": f"Pelanggan {code}",
             "balance": 0} for code in codes])
    first, last = db.session.execute(select(func.min(Customer.id), func.max(Customer.id)).where(
        Customer.organization_id == dist.id, Customer.code.in_(codes))).one()
    if last - first + 1 != customers:  # the statement picks customers by id arithmetic
        raise MuaraError(f"the demo customers' ids are not consecutive ({first}..{last})")
    start = db.session.execute(select(func.count()).select_from(OpenInvoice).where(
        OpenInvoice.organization_id == dist.id, OpenInvoice.reference.like("DEMO-%"))
    ).scalar_one() + 1
    statement = (BULK_INVOICES_POSTGRESQL if db.engine.dialect.name == "postgresql"
                 else BULK_INVOICES_SQLITE)
    db.session.execute(text(statement), {"org": dist.id, "first_customer": first,
                                         "customers": customers, "start": start,
                                         "stop": start + rows - 1})
    # Written outside any import: the balances are counted once here (imports keep them).
    from app.importing.balances import recount_customer_balances
    recount_customer_balances(db.session, dist.id)
    return db.session.execute(select(func.count()).select_from(OpenInvoice).where(
        OpenInvoice.organization_id == dist.id)).scalar_one()
