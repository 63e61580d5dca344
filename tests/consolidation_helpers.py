"""Building distributors, principals and Smart-Portal files for the consolidation tests."""
import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    DailyVisit,
    ImportFile,
    PurchaseInvoice,
    SalesOrder,
    SalesOrderLine,
    StagedRow,
)
from app.services import directory
from tests.factories import make_distributor, muara, xlsx

ORDER_HEADER = ["Order Number", "Order Date", "Customer Code", "Product Code", "Quantity",
                "Unit Price", "Location Code"]
VISIT_HEADER = ["Visit Date", "Salesperson", "Customer Code", "Check In", "Check Out", "Notes"]
PURCHASE_HEADER = ["Invoice Number", "Invoice Date", "Supplier Code", "Product Code",
                   "Quantity", "Unit Cost"]


def portal(app):
    """D1 and D2 share with P1; D3 shares with P2 only; every distributor has customers
    C001/C002, products P001/P002 and default templates."""
    make_distributor(app, "D1", "P1")
    make_distributor(app, "D2", "P1")
    make_distributor(app, "D3", "P2")


def order_file(tmp_path, rows, name="orders.xlsx"):
    return xlsx(tmp_path / name, [ORDER_HEADER, *rows])


def import_file(runner, path, module="sales_orders", org="D1", *extra):
    result = muara(runner, "import", path, "--module", module, "--org", org, "--wait", *extra)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def sync_all(runner, principal="P1"):
    result = muara(runner, "sync-all", principal, "--wait")
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def orders(app, org="D1"):
    """number -> (date, customer, principal, total, [(product, qty, price, amount)])."""
    with app.app_context():
        rows = db.session.execute(
            select(SalesOrder).where(SalesOrder.organization_id == directory.get_org(org).id)
            .order_by(SalesOrder.number)).scalars().all()
        return {o.number: (o.order_date.isoformat(), o.customer.code, o.principal.code,
                           str(o.total), [(ln.product.code, str(ln.quantity), str(ln.unit_price),
                                           str(ln.amount)) for ln in o.lines])
                for o in rows}


def file_state(app, import_id):
    with app.app_context():
        imp = db.session.get(ImportFile, import_id)
        staged = db.session.scalar(select(func.count()).select_from(StagedRow)
                                   .where(StagedRow.import_id == import_id))
        return (str(imp.status), imp.accepted, imp.rejected, staged)


__all__ = ["portal", "order_file", "import_file", "sync_all", "orders", "file_state",
           "DailyVisit", "PurchaseInvoice", "SalesOrder", "SalesOrderLine", "VISIT_HEADER",
           "PURCHASE_HEADER", "ORDER_HEADER", "xlsx", "muara"]
