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


@owns_transaction  # one transaction: a demo that fails part-way writes nothing
def load_demo(password_for=None):
    """Create the demo organizations and users; returns [(username, password, role)]."""
    if db.session.execute(select(Organization.id).where(Organization.code == "DEMO-DIST")).first():
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
