"""Every role against every screen action, through real HTTP after a real login,
compared with the declared matrix (SEC-1), and the committed matrix document (SEC-3)."""
import datetime as dt
from pathlib import Path

import pytest

from app.extensions import db
from app.models import (
    BalanceAdjustment,
    Connection,
    Customer,
    ImportFile,
    ImportRejection,
    Integration,
    Location,
    MapperTemplate,
    Membership,
    OpenInvoice,
    Organization,
    Product,
    StockEntry,
    TemplateField,
)
from app.models.audit import AuditEvent
from app.security import roles
from app.security.matrix import render_markdown, screens
from tests.conftest import denied, login

ROOT = Path(__file__).resolve().parent.parent


def route_base(app, view_name):
    return next(v.route_base for v in app.appbuilder.baseviews
                if type(v).__name__ == view_name
                or (getattr(v, "class_permission_name", None) == view_name
                    and hasattr(v, "datamodel")))


def make_rows(org_id, dist_id, prin_id, with_records=True):
    """One row per screen that the user's organization owns (or that names it)."""
    org = db.session.get(Organization, org_id)
    rows = {
        "OrganizationView": lambda: org,
        "LocationView": lambda: Location(organization=org, code="L1", name="L1"),
        "CustomerView": lambda: Customer(organization=org, code="C1", name="C1", balance=0),
        "ProductView": lambda: Product(organization=org, code="P1", name="P1", unit="pcs"),
        "IntegrationView": lambda: Integration(organization=org, name="Ext", kind="external"),
        "ConnectionView": lambda: Connection(distributor_id=dist_id, principal_id=prin_id),
    }
    made = {}
    for view, factory in rows.items():
        row = factory()
        db.session.add(row)
        db.session.flush()
        made[view] = row.id
    if not with_records:
        return made  # rows nothing refers to, so deleting them is only a question of rights
    customer = db.session.get(Customer, made["CustomerView"])
    location = db.session.get(Location, made["LocationView"])
    product = db.session.get(Product, made["ProductView"])
    template = MapperTemplate(organization=org, module="open_invoices", name="T")
    template.fields.append(TemplateField(field="reference", source_column="Invoice #"))
    imp = ImportFile(organization=org, module="open_invoices", filename="f.csv", size=1,
                     sha256="0" * 64, principal_id=prin_id)
    db.session.add_all([template, imp])
    db.session.flush()
    later = [
        ("TemplateView", template),
        ("TemplateFieldView", template.fields[0]),
        ("ImportFileView", imp),
        ("ImportRejectionView", ImportRejection(import_id=imp.id, organization=org,
                                                module="open_invoices", row=2, reason="required",
                                                message="m")),
        ("OpenInvoiceView", OpenInvoice(organization=org, reference="I1", customer=customer,
                                        invoice_date=dt.date(2025, 1, 1), balance=1,
                                        customer_po="PO", import_id=imp.id)),
        ("BalanceAdjustmentView", BalanceAdjustment(organization=org, customer=customer,
                                                    credit_date=dt.date(2025, 1, 1),
                                                    reference="R1", amount=1, import_id=imp.id)),
        ("StockEntryView", StockEntry(organization=org, product=product, location=location,
                                      entry_date=dt.date(2025, 1, 1), boxes=1, units_per_box=1,
                                      quantity=1, import_id=imp.id)),
    ]
    from app.models import IntegrationKey, TemplateSet, TemplateSetSheet
    template_set = TemplateSet(organization=org, name="S")
    template_set.sheets.append(TemplateSetSheet(sheet="Invoices", template=template))
    later += [("TemplateSetView", template_set),
              ("TemplateSetSheetView", template_set.sheets[0])]
    later.append(("IntegrationKeyView", IntegrationKey(
        organization=org, integration_id=made["IntegrationView"], prefix="mk_test",
        key_hash=f"{org.id:064d}")))
    from app.models.mail import MailMessage, MailState
    later.append(("OutboxView", MailMessage(recipient="r@example.test", subject="s", body="b",
                                            state=MailState.kept, import_id=imp.id)))
    for view, row in later:
        db.session.add(row)
        db.session.flush()
        made[view] = row.id
    made.update(_return_rows(org, customer, product, imp))
    made.update(_consolidated_rows(org, prin_id, customer, product))
    made.update(_service_rows(org, made["IntegrationView"], customer))
    return made


def _consolidated_rows(org, prin_id, customer, product):
    """A sales order, a purchase invoice (each with a line) and a daily visit of the
    organization, shared with the principal."""
    from app.models import (
        DailyVisit,
        PurchaseInvoice,
        PurchaseInvoiceLine,
        SalesInvoice,
        SalesInvoiceLine,
        SalesOrder,
        SalesOrderLine,
    )
    shared = dict(organization=org, principal_id=prin_id, file_id=1,
                  consolidated_at=dt.datetime(2025, 1, 1))
    order = SalesOrder(number="SO-1", order_date=dt.date(2025, 1, 1), customer=customer,
                       line_count=1, total=1, **shared)
    sold = SalesInvoice(number="SI-1", invoice_date=dt.date(2025, 1, 1), customer=customer,
                        line_count=1, total=1, **shared)
    invoice = PurchaseInvoice(number="PI-1", invoice_date=dt.date(2025, 1, 1),
                              supplier_id=prin_id, line_count=1, total=1, **shared)
    rows = {
        "SalesOrderView": order,
        "SalesOrderLineView": SalesOrderLine(order=order, line_no=1, product=product,
                                             quantity=1, unit_price=1, amount=1),
        "PurchaseInvoiceView": invoice,
        "PurchaseInvoiceLineView": PurchaseInvoiceLine(invoice=invoice, line_no=1,
                                                       product=product, quantity=1,
                                                       unit_cost=1, amount=1),
        "SalesInvoiceView": sold,
        "SalesInvoiceLineView": SalesInvoiceLine(invoice=sold, line_no=1, product=product,
                                                 quantity=1, unit_price=1, amount=1),
        "DailyVisitView": DailyVisit(visit_date=dt.date(2025, 1, 1), salesperson="S",
                                     customer=customer, check_in="09:00", **shared),
    }
    db.session.add_all(rows.values())
    db.session.flush()
    return {view: row.id for view, row in rows.items()}


def _service_rows(org, integration_id, customer):
    """What a service sync brings: a tax, a payment term, an employee, an order and line."""
    from app.models import Employee, PaymentTerm, ServiceSalesOrder, ServiceSalesOrderLine, Tax
    order = ServiceSalesOrder(organization=org, integration_id=integration_id, reference="1",
                              number="SO1", order_date=dt.date(2025, 1, 1), customer=customer)
    rows = {"TaxView": Tax(organization=org, reference="1", name="PPN", code="PPN"),
            "PaymentTermView": PaymentTerm(organization=org, reference="1", name="Net 30"),
            "EmployeeView": Employee(organization=org, reference="1", name="Budi"),
            "ServiceSalesOrderView": order,
            "ServiceSalesOrderLineView": ServiceSalesOrderLine(order=order, line_no=1,
                                                               item_code="P1", quantity=1)}
    db.session.add_all(rows.values())
    db.session.flush()
    return {view: row.id for view, row in rows.items()}


def _return_rows(org, customer, product, imp):
    """A customer return with a detail, an info text and a text assignment."""
    from app.models import (
        CustomerReturn,
        CustomerReturnDetail,
        Partner,
        ReturnInfoText,
        ReturnTextAssignment,
        ReturnType,
        UnitOfMeasure,
    )
    partner = Partner(organization=org, number="90000", name="S", guid=f"p-{org.id}")
    ret_type = ReturnType(organization=org, code="KR", name="KR", guid=f"t-{org.id}")
    unit = UnitOfMeasure(organization=org, code="pc", name="pc", guid=f"u-{org.id}")
    ret = CustomerReturn(organization=org, guid=f"r-{org.id}", type=ret_type, number="1",
                         partner=partner, customer=customer, import_id=imp.id)
    db.session.add(ret)
    db.session.flush()
    rows = {
        "CustomerReturnView": ret,
        "CustomerReturnDetailView": CustomerReturnDetail(
            customer_return=ret, guid=f"d-{org.id}", number=10, item=product, quantity=1,
            uom=unit),
        "ReturnInfoTextView": ReturnInfoText(return_id=ret.id, language="en", text="t"),
        "ReturnTextAssignmentView": ReturnTextAssignment(return_id=ret.id, number=1),
    }
    for row in rows.values():
        db.session.add(row)
    db.session.flush()
    return {view: row.id for view, row in rows.items()}


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_action_of_every_screen_matches_the_declared_matrix(app, client, world, role):
    dist = world.org("D1")
    prin = world.org("P1", kind="principal")
    own_code = "P1" if role == roles.PRINCIPAL else "D1"
    world.user("someone", role, None if role == roles.ADMIN else own_code)
    colleague = world.user("colleague", roles.IMPORTER, "D1")
    with app.app_context():
        own_id = dist if own_code == "D1" else prin
        targets = make_rows(own_id, dist, prin)
        targets["UserDBModelView"] = colleague
        targets["MembershipView"] = \
            db.session.query(Membership.id).order_by(Membership.id).first()[0]
        # Creating the organizations above was recorded: the first event is one to show.
        targets["AuditEventView"] = \
            db.session.query(AuditEvent.id).order_by(AuditEvent.id).first()[0]
        db.session.commit()
    login(client, "someone")

    mismatches = []
    for view, _, _, actions in screens(app.appbuilder):
        base = route_base(app, view)
        pk = targets.get(view)
        for action in actions:
            if action not in ("can_list", "can_show", "can_add", "can_edit"):
                continue  # delete is checked below; a view's own actions in its tests
            url = {"can_list": f"{base}/list/", "can_show": f"{base}/show/{pk}",
                   "can_add": f"{base}/add", "can_edit": f"{base}/edit/{pk}"}[action]
            response = client.get(url)
            expected = roles.allowed(role, view, action)
            got = not denied(response)
            if got != expected or (expected and response.status_code not in (200,)):
                mismatches.append((view, action, expected, response.status_code))
    assert mismatches == [], f"{role}: (view, action, allowed, status) that differ: {mismatches}"


@pytest.mark.parametrize("role", roles.ROLES)
def test_delete_is_allowed_exactly_where_declared(app, client, world, role):
    dist = world.org("D1")
    prin = world.org("P1", kind="principal")
    own_code = "P1" if role == roles.PRINCIPAL else "D1"
    world.user("someone", role, None if role == roles.ADMIN else own_code)
    with app.app_context():
        own_id = dist if own_code == "D1" else prin
        targets = make_rows(own_id, dist, prin, with_records=False)
        db.session.commit()
    login(client, "someone")
    for view, model in [("LocationView", Location), ("CustomerView", Customer),
                        ("ProductView", Product), ("IntegrationView", Integration),
                        ("ConnectionView", Connection)]:
        response = client.post(f"{route_base(app, view)}/delete/{targets[view]}")
        with app.app_context():
            still_there = db.session.get(model, targets[view]) is not None
        if roles.allowed(role, view, "can_delete"):
            assert not denied(response) and not still_there, f"{role} could not delete via {view}"
        else:
            assert denied(response) and still_there, f"{role} deleted via {view}"


def test_anonymous_visitors_are_sent_to_the_login_page(client, app):
    for view, _, _, actions in screens(app.appbuilder):
        if "can_list" in actions:
            assert denied(client.get(f"{route_base(app, view)}/list/")), view


def test_committed_permission_matrix_is_current(app):
    committed = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    with app.app_context():
        generated = render_markdown(app.appbuilder)
    assert committed == generated, (
        "docs/permissions.md is stale: run `flask --app run muara permissions`")


def test_permissions_command_writes_the_same_matrix(app, runner, tmp_path):
    out = tmp_path / "matrix.md"
    result = runner.invoke(args=["muara", "permissions", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == (ROOT / "docs" / "permissions.md").read_text()


def test_roles_are_in_the_database_after_init(app):
    with app.app_context():
        names = {role.name for role in app.appbuilder.sm.get_all_roles()}
    assert set(roles.ROLES) <= names
