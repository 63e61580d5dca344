"""The `muara` command line (SPEC section 8): what each command writes, and that bad
arguments exit non-zero with a one-line message and write nothing.

Each command runs in its own app context, as it would in its own process; the tests
read the database in a fresh context afterwards.
"""
import json

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (
    Connection,
    Customer,
    Integration,
    Location,
    Membership,
    Organization,
    Product,
)
from tests.conftest import PASSWORD, login

COUNTED = {"organizations": Organization, "locations": Location, "connections": Connection,
           "integrations": Integration, "users": User, "memberships": Membership,
           "customers": Customer, "products": Product}


def muara(runner, *args):
    return runner.invoke(args=["muara", *args])


def assert_fails(result, message):
    """Non-zero exit and exactly one line of output: click's "Error: <message>"."""
    assert result.exit_code != 0, result.output
    assert result.output == f"Error: {message}\n"


def counts(app):
    with app.app_context():
        return {name: db.session.scalar(select(func.count()).select_from(model))
                for name, model in COUNTED.items()}


def org_row(app, code):
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.code == code)).scalar()
        return org and (org.name, str(org.kind), org.multi_location)


def connection_state(app, distributor, principal):
    """The `active` flag of the connection between two organizations, None if there is none."""
    with app.app_context():
        ids = {code: db.session.scalar(select(Organization.id).where(Organization.code == code))
               for code in (distributor, principal)}
        rows = db.session.scalars(select(Connection.active).where(
            Connection.distributor_id == ids[distributor],
            Connection.principal_id == ids[principal])).all()
        assert len(rows) <= 1
        return rows[0] if rows else None


def user_row(app, username):
    """(role names, e-mail, organization code or None) of a login."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar()
        if user is None:
            return None
        membership = db.session.execute(
            select(Membership).where(Membership.user_id == user.id)).scalar()
        org = membership.organization.code if membership else None
        return sorted(role.name for role in user.roles), user.email, org


def user_add(runner, username, org, role, password=PASSWORD, email=None):
    args = ["user", "add", username, "--role", role,
            "--email", email or f"{username}@example.test", "--password", password]
    if org:
        args += ["--org", org]
    return muara(runner, *args)


# --- org add ---------------------------------------------------------------------------

def test_org_add_creates_a_distributor(app, runner):
    result = muara(runner, "org", "add", "D1", "--name", "Dist One", "--kind", "distributor")
    assert result.exit_code == 0, result.output
    assert result.stdout == "organization D1 added (distributor)\n"
    assert result.stderr == "9 default mapper templates added\n"
    assert org_row(app, "D1") == ("Dist One", "distributor", False)


def template_names(app, code):
    from app.models import MapperTemplate
    with app.app_context():
        return sorted(db.session.execute(
            select(MapperTemplate.name).join(Organization)
            .where(Organization.code == code)).scalars())


def test_a_new_distributor_imports_from_the_command_line_at_once(app, runner, tmp_path):
    """The whole set-up from the command line alone: a distributor made with `org add`
    has the default templates (TPL-3), so its first files import."""
    from app.importing.modules import MODULES
    from app.services.templates import default_template_name
    for args in (["org", "add", "D9", "--name", "New", "--kind", "distributor"],
                 ["org", "add", "P9", "--name", "Brand", "--kind", "principal"],
                 ["connect", "D9", "P9"], ["location", "add", "D9", "JKT", "--name", "Jakarta"],
                 ["integration", "add", "D9", "Files", "--kind", "external"]):
        assert muara(runner, *args).exit_code == 0, args
    assert template_names(app, "D9") == sorted(default_template_name(m) for m in MODULES)
    assert template_names(app, "P9") == []
    customers = tmp_path / "customers.csv"
    customers.write_text("Customer Code,Customer Name\nC1,Toko Satu\n", encoding="utf-8")
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,"
                        "Location Code\nINV-1,C1,2025-01-31,10.5,PO-1,JKT\n", encoding="utf-8")
    for path, module in ((customers, "customers"), (invoices, "open_invoices")):
        result = muara(runner, "import", str(path), "--module", module, "--org", "D9", "--wait")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["status"] == "archived", result.stdout


def test_template_defaults_adds_only_what_is_missing(app, runner, world):
    from app.models import MapperTemplate
    world.org("D1")  # made without templates, as before they came with the organization
    world.org("P1", kind="principal")
    first = muara(runner, "template", "defaults", "D1")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[:2] == ["added Default Customers", "added Default Products"]
    assert len(first.output.splitlines()) == 9
    with app.app_context():
        db.session.execute(delete(MapperTemplate).where(MapperTemplate.name == "Default Products"))
        db.session.commit()
    again = muara(runner, "template", "defaults", "D1")
    assert again.output == "added Default Products\n"
    assert muara(runner, "template", "defaults", "D1").output == (
        "nothing to add: D1 has a template for every module\n")
    refused = muara(runner, "template", "defaults", "P1")
    assert refused.exit_code == 1
    assert refused.stderr == ("Error: P1 is a principal: only distributors import files, so "
                              "only they have mapper templates\n")
    assert muara(runner, "template", "defaults", "NOPE").stderr == (
        "Error: unknown organization: NOPE\n")


def test_org_add_creates_a_principal(app, runner):
    result = muara(runner, "org", "add", "P1", "--name", "Brand", "--kind", "principal")
    assert result.exit_code == 0, result.output
    assert org_row(app, "P1") == ("Brand", "principal", False)


def test_org_add_multi_location_sets_the_flag(app, runner):
    result = muara(runner, "org", "add", "D1", "--name", "Dist", "--kind", "distributor",
                   "--multi-location")
    assert result.exit_code == 0, result.output
    assert org_row(app, "D1") == ("Dist", "distributor", True)


def test_org_add_rejects_an_unknown_kind(app, runner):
    before = counts(app)
    result = muara(runner, "org", "add", "S1", "--name", "Shop", "--kind", "shop")
    assert result.exit_code != 0
    assert "Error: Invalid value for '--kind': 'shop' is not one of" in result.output
    assert counts(app) == before


def test_org_add_rejects_a_duplicate_code(app, runner, world):
    world.org("D1")
    before = counts(app)
    result = muara(runner, "org", "add", "D1", "--name", "Again", "--kind", "principal")
    assert_fails(result, "duplicate organization code: D1")
    assert counts(app) == before
    assert org_row(app, "D1") == ("D1 name", "distributor", False)


def test_org_add_rejects_a_blank_code(app, runner):
    before = counts(app)
    result = muara(runner, "org", "add", "  ", "--name", "Blank", "--kind", "distributor")
    assert_fails(result, "organization code must not be empty")
    assert counts(app) == before


# --- location add ----------------------------------------------------------------------

def test_location_add_creates_a_location_of_the_org(app, runner, world):
    org_id = world.org("D1", multi_location=True)
    result = muara(runner, "location", "add", "D1", "JKT", "--name", "Jakarta")
    assert result.exit_code == 0, result.output
    assert result.output == "location JKT added to D1\n"
    with app.app_context():
        rows = db.session.execute(select(Location.organization_id, Location.code,
                                         Location.name)).all()
    assert [tuple(row) for row in rows] == [(org_id, "JKT", "Jakarta")]


def test_location_add_allows_the_same_code_in_another_org(app, runner, world):
    world.org("D1")
    world.org("D2")
    assert muara(runner, "location", "add", "D1", "JKT", "--name", "A").exit_code == 0
    result = muara(runner, "location", "add", "D2", "JKT", "--name", "B")
    assert result.exit_code == 0, result.output
    assert counts(app)["locations"] == 2


def test_location_add_rejects_a_duplicate_code_in_the_same_org(app, runner, world):
    world.org("D1")
    assert muara(runner, "location", "add", "D1", "JKT", "--name", "A").exit_code == 0
    before = counts(app)
    result = muara(runner, "location", "add", "D1", "JKT", "--name", "B")
    assert_fails(result, "duplicate location code JKT in D1")
    assert counts(app) == before


def test_location_add_rejects_an_unknown_org(app, runner):
    before = counts(app)
    result = muara(runner, "location", "add", "NOPE", "JKT", "--name", "Jakarta")
    assert_fails(result, "unknown organization: NOPE")
    assert counts(app) == before


# --- connect ---------------------------------------------------------------------------

@pytest.fixture
def dist_and_prin(world):
    world.org("D1")
    world.org("P1", kind="principal")


def test_connect_creates_an_active_connection(app, runner, dist_and_prin):
    result = muara(runner, "connect", "D1", "P1")
    assert result.exit_code == 0, result.output
    assert result.output == "connection D1 -> P1 (active)\n"
    assert connection_state(app, "D1", "P1") is True


def test_connect_inactive_flips_the_existing_connection_and_back(app, runner, dist_and_prin):
    assert muara(runner, "connect", "D1", "P1").exit_code == 0

    result = muara(runner, "connect", "D1", "P1", "--inactive")
    assert result.exit_code == 0, result.output
    assert connection_state(app, "D1", "P1") is False

    result = muara(runner, "connect", "D1", "P1")
    assert result.exit_code == 0, result.output
    assert connection_state(app, "D1", "P1") is True
    assert counts(app)["connections"] == 1


def test_connect_inactive_without_a_connection_creates_it_inactive(app, runner, dist_and_prin):
    result = muara(runner, "connect", "D1", "P1", "--inactive")
    assert result.exit_code == 0, result.output
    assert connection_state(app, "D1", "P1") is False


@pytest.mark.parametrize("distributor, principal", [("NOPE", "P1"), ("D1", "NOPE")])
def test_connect_rejects_an_unknown_org(app, runner, dist_and_prin, distributor, principal):
    before = counts(app)
    result = muara(runner, "connect", distributor, principal)
    assert_fails(result, "unknown organization: NOPE")
    assert counts(app) == before


def test_connect_rejects_a_principal_as_the_distributor_side(app, runner, dist_and_prin):
    before = counts(app)
    result = muara(runner, "connect", "P1", "D1")
    assert_fails(result, "P1 is a principal, not a distributor")
    assert counts(app) == before


def test_connect_rejects_a_distributor_as_the_principal_side(app, runner, world, dist_and_prin):
    world.org("D2")
    before = counts(app)
    result = muara(runner, "connect", "D1", "D2")
    assert_fails(result, "D2 is a distributor, not a principal")
    assert counts(app) == before


def test_connect_with_a_wrong_side_leaves_an_existing_connection_alone(app, runner,
                                                                      dist_and_prin):
    assert muara(runner, "connect", "D1", "P1").exit_code == 0
    result = muara(runner, "connect", "P1", "D1", "--inactive")
    assert result.exit_code != 0
    assert connection_state(app, "D1", "P1") is True


# --- user add --------------------------------------------------------------------------

def test_user_add_creates_a_user_with_role_and_membership(app, runner, world):
    world.org("D1")
    result = user_add(runner, "ida", "D1", "Importer", email="ida@d1.test")
    assert result.exit_code == 0, result.output
    assert result.output == "user ida added as Importer of D1\n"
    assert user_row(app, "ida") == (["Importer"], "ida@d1.test", "D1")


def test_user_add_creates_a_principal_user_of_a_principal(app, runner, world):
    world.org("P1", kind="principal")
    result = user_add(runner, "pam", "P1", "Principal")
    assert result.exit_code == 0, result.output
    assert user_row(app, "pam") == (["Principal"], "pam@example.test", "P1")


def test_user_add_allows_an_admin_without_org(app, runner):
    result = user_add(runner, "root", None, "Admin")
    assert result.exit_code == 0, result.output
    assert result.output == "user root added as Admin\n"
    assert user_row(app, "root") == (["Admin"], "root@example.test", None)
    assert counts(app)["memberships"] == 0


def test_user_add_password_of_twelve_characters_logs_in(app, runner, world):
    world.org("D1")
    assert user_add(runner, "ida", "D1", "Supervisor", password="12chars!Zq7w").exit_code == 0
    login(app.test_client(), "ida", "12chars!Zq7w")


def test_user_add_rejects_an_unknown_org(app, runner):
    before = counts(app)
    result = user_add(runner, "ida", "NOPE", "Importer")
    assert_fails(result, "unknown organization: NOPE")
    assert counts(app) == before


def test_user_add_rejects_a_principal_user_of_a_distributor(app, runner, world):
    world.org("D1")
    before = counts(app)
    result = user_add(runner, "pam", "D1", "Principal")
    assert_fails(result, "a Principal user must belong to a principal; D1 is a distributor")
    assert counts(app) == before


def test_user_add_rejects_a_duplicate_username(app, runner, world):
    world.org("D1")
    world.user("ida", "Importer", "D1")
    before = counts(app)
    result = user_add(runner, "ida", "D1", "Supervisor", email="other@example.test")
    assert_fails(result, "duplicate username: ida")
    assert counts(app) == before
    assert user_row(app, "ida") == (["Importer"], "ida@example.test", "D1")


def test_user_add_rejects_a_duplicate_email(app, runner, world):
    world.org("D1")
    world.user("ida", "Importer", "D1")
    before = counts(app)
    result = user_add(runner, "bob", "D1", "Importer", email="ida@example.test")
    assert_fails(result, "duplicate e-mail: ida@example.test")
    assert counts(app) == before


def test_user_add_rejects_an_unknown_role(app, runner, world):
    world.org("D1")
    before = counts(app)
    result = user_add(runner, "ida", "D1", "Boss")
    assert_fails(result, "unknown role: Boss (one of: Admin, Importer, Supervisor, "
                         "Template Editor, Principal, Organization Admin)")
    assert counts(app) == before


def test_user_add_rejects_a_password_shorter_than_twelve(app, runner, world):
    world.org("D1")
    before = counts(app)
    result = user_add(runner, "ida", "D1", "Importer", password="11chars!Zq7")
    assert_fails(result, "The password must have at least 12 characters.")
    assert counts(app) == before


@pytest.mark.parametrize("password, reason", [
    ("Irene-the-importer", "must not be (or contain) the user name"),
    ("qwertyuiop123!", "on a list of commonly used passwords"),
])
def test_user_add_rejects_a_weak_password(app, runner, world, password, reason):
    world.org("D1")
    before = counts(app)
    result = user_add(runner, "irene", "D1", "Importer", password=password)
    assert result.exit_code != 0 and reason in result.output
    assert counts(app) == before


def test_user_add_rejects_a_non_admin_without_org(app, runner):
    before = counts(app)
    result = user_add(runner, "ida", None, "Importer")
    assert_fails(result, "a user of this role needs an organization (--org)")
    assert counts(app) == before


# --- integration add -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["external", "dms", "sap", "accurate", "pos"])
def test_integration_add_creates_an_active_integration_of_each_kind(app, runner, world, kind):
    org_id = world.org("D1")
    result = muara(runner, "integration", "add", "D1", "Feed", "--kind", kind)
    assert result.exit_code == 0, result.output
    assert result.output == f"integration Feed ({kind}) added to D1\n"
    with app.app_context():
        rows = db.session.execute(select(Integration.organization_id, Integration.name,
                                         Integration.kind, Integration.active)).all()
    assert [(o, n, str(k), a) for o, n, k, a in rows] == [(org_id, "Feed", kind, True)]


def test_integration_add_inactive_creates_it_inactive(app, runner, world):
    world.org("D1")
    result = muara(runner, "integration", "add", "D1", "Feed", "--kind", "sap", "--inactive")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(Integration.active)).all() == [False]


def test_integration_add_rejects_an_unknown_org(app, runner):
    before = counts(app)
    result = muara(runner, "integration", "add", "NOPE", "Feed", "--kind", "external")
    assert_fails(result, "unknown organization: NOPE")
    assert counts(app) == before


def test_integration_add_rejects_a_duplicate_name_in_the_same_org(app, runner, world):
    world.org("D1")
    assert muara(runner, "integration", "add", "D1", "Feed", "--kind", "external").exit_code == 0
    before = counts(app)
    result = muara(runner, "integration", "add", "D1", "Feed", "--kind", "dms")
    assert_fails(result, "duplicate integration name Feed in D1")
    assert counts(app) == before


def test_integration_add_allows_the_same_name_in_another_org(app, runner, world):
    world.org("D1")
    world.org("D2")
    assert muara(runner, "integration", "add", "D1", "Feed", "--kind", "external").exit_code == 0
    result = muara(runner, "integration", "add", "D2", "Feed", "--kind", "external")
    assert result.exit_code == 0, result.output
    assert counts(app)["integrations"] == 2


# --- demo ------------------------------------------------------------------------------

DEMO_ROLES = {"admin": "Admin", "importer": "Importer", "supervisor": "Supervisor",
              "editor": "Template Editor", "principal": "Principal",
              "orgadmin": "Organization Admin"}


def demo_logins(output):
    """{username: password} from `muara demo`'s lines "<role> <username> <password>"."""
    logins = {}
    for line in output.splitlines():
        username, password = line.split()[-2:]
        logins[username] = password
    return logins


def test_demo_creates_the_demo_organizations(app, runner):
    result = muara(runner, "demo")
    assert result.exit_code == 0, result.output
    assert org_row(app, "DEMO-DIST") == ("Demo Distributor", "distributor", True)
    assert org_row(app, "DEMO-PRIN") == ("Demo Principal", "principal", False)
    assert connection_state(app, "DEMO-DIST", "DEMO-PRIN") is True
    with app.app_context():
        dist = db.session.execute(
            select(Organization).where(Organization.code == "DEMO-DIST")).scalar_one()
        owned = {model: db.session.scalar(select(func.count()).select_from(model)
                                          .where(model.organization_id == dist.id))
                 for model in (Location, Customer, Product)}
        integrations = db.session.execute(
            select(Integration.organization_id, Integration.kind, Integration.active)).all()
    assert owned[Location] >= 1 and owned[Customer] >= 1 and owned[Product] >= 1
    assert [(o, str(k), a) for o, k, a in integrations] == [(dist.id, "external", True)]


def test_demo_creates_one_user_per_role_in_the_right_org(app, runner):
    assert muara(runner, "demo").exit_code == 0
    for username, role in DEMO_ROLES.items():
        roles, _, org = user_row(app, username)
        expected_org = {"Admin": None, "Principal": "DEMO-PRIN"}.get(role, "DEMO-DIST")
        assert (roles, org) == ([role], expected_org), username


def test_demo_prints_a_password_that_logs_in_for_each_user(app, runner):
    result = muara(runner, "demo")
    assert result.exit_code == 0, result.output
    logins = demo_logins(result.output)
    assert set(logins) == set(DEMO_ROLES)
    client = app.test_client()
    for username, password in logins.items():
        login(client, username, password)


def test_demo_a_second_time_fails_and_writes_nothing(app, runner):
    assert muara(runner, "demo").exit_code == 0
    before = counts(app)
    result = muara(runner, "demo")
    assert_fails(result, "demo data is already loaded (organization DEMO-DIST exists)")
    assert counts(app) == before


def test_demo_invoices_are_written_in_bulk_and_added_on_a_second_run(app, runner):
    from app.models import OpenInvoice
    result = muara(runner, "demo", "--invoices", "300")
    assert result.exit_code == 0, result.output
    assert set(demo_logins(result.output.split("DEMO-DIST has")[0])) == set(DEMO_ROLES)
    assert "DEMO-DIST has 300 open invoices" in result.output
    again = muara(runner, "demo", "--invoices", "200")  # demo loaded: adds invoices only
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "DEMO-DIST has 500 open invoices"
    with app.app_context():
        rows = db.session.execute(select(OpenInvoice.reference, OpenInvoice.customer_id,
                                         OpenInvoice.invoice_date)).all()
        customers = db.session.scalar(select(func.count()).select_from(Customer)
                                      .where(Customer.code.like("B%")))
    assert len({r.reference for r in rows}) == 500
    assert len({r.customer_id for r in rows}) == 500 and customers == 5000
    assert len({r.invoice_date for r in rows}) == 500
    # Written outside any import, the balances are counted once by the seeding.
    with app.app_context():
        owed = dict(db.session.execute(
            select(OpenInvoice.customer_id, func.sum(OpenInvoice.balance))
            .group_by(OpenInvoice.customer_id)).all())
        kept = dict(db.session.execute(select(Customer.id, Customer.balance)
                                       .where(Customer.id.in_(owed))).all())
    assert kept == owed and all(owed.values())


def test_demo_that_fails_part_way_writes_nothing(app, runner, world):
    world.org("X1")
    world.user("importer", "Importer", "X1")  # taken: the demo's second user will clash
    before = counts(app)
    result = muara(runner, "demo")
    assert_fails(result, "duplicate username: importer")
    assert counts(app) == before
