"""Records of a module as a viewer may see them (same scoping as the screens), with the
module's template headers so an export re-imports as it is."""
import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.errors import MuaraError
from app.extensions import db
from app.importing.modules import SHOWN_ONLY
from app.models import (
    BalanceAdjustment,
    Customer,
    Location,
    OpenInvoice,
    Organization,
    Product,
    StockEntry,
)
from app.models import consolidated as documents
from app.models.organizations import OrgKind
from app.security.csv_safety import safe_row
from app.security.tenancy import Viewer, scope
from app.services.audit import record_now
from app.services.imports import check_module


def _query(module_name):
    if module_name == "customers":
        return Customer, select(Customer.code.label("Customer Code"),
                                Customer.name.label("Customer Name"),
                                Customer.source_id.label("Customer ID"),
                                Customer.balance.label("Balance")).order_by(Customer.code)
    if module_name == "products":
        return Product, select(Product.code.label("Product Code"),
                               Product.name.label("Product Name"),
                               Product.unit.label("Unit")).order_by(Product.code)
    if module_name == "open_invoices":
        customer, location = aliased(Customer), aliased(Location)
        return OpenInvoice, (select(
            OpenInvoice.reference.label("Invoice #"), customer.code.label("Customer Code"),
            OpenInvoice.invoice_date.label("Invoice Date"),
            OpenInvoice.balance.label("Invoice Balance"),
            OpenInvoice.customer_po.label("Customer PO"), location.code.label("Location Code"),
            OpenInvoice.carrier.label("Carrier"))
            .join(customer, OpenInvoice.customer_id == customer.id)
            .outerjoin(location, OpenInvoice.location_id == location.id)
            .order_by(OpenInvoice.reference))
    if module_name == "open_credits":
        customer = aliased(Customer)
        return BalanceAdjustment, (select(
            customer.code.label("Customer Code"),
            BalanceAdjustment.credit_date.label("Credit Date"),
            BalanceAdjustment.reference.label("Reference"),
            BalanceAdjustment.amount.label("Amount"))
            .join(customer, BalanceAdjustment.customer_id == customer.id)
            .order_by(customer.code, BalanceAdjustment.reference))
    if module_name == "inventory_boxes":
        product, location = aliased(Product), aliased(Location)
        return StockEntry, (select(
            product.code.label("Product Code"), location.code.label("Location Code"),
            StockEntry.boxes.label("Boxes"), StockEntry.units_per_box.label("Units per Box"),
            StockEntry.entry_date.label("Date"), StockEntry.quantity.label("Quantity"))
            .join(product, StockEntry.product_id == product.id)
            .join(location, StockEntry.location_id == location.id)
            .order_by(StockEntry.entry_date, product.code, location.code))
    if module_name in CONSOLIDATED_EXPORTS:
        return CONSOLIDATED_EXPORTS[module_name]()
    raise MuaraError(f"exporting {module_name} is not supported yet")


def _document_export(header, line, lines_fk, number, date, date_label, party, party_model,
                     price, price_label, located=True):
    """One row per line of a document (order or invoice) with its header repeated, in the
    import's columns, plus the principal it is shared with: an export re-imports as it
    is. `party`: the header's customer or supplier, as (column, label)."""
    party_column, party_label = party
    counterpart, location, product, principal = (aliased(party_model), aliased(Location),
                                                 aliased(Product), aliased(Organization))
    columns = [header.number.label(number), getattr(header, date).label(date_label),
               counterpart.code.label(party_label), product.code.label("Product Code"),
               line.quantity.label("Quantity"), getattr(line, price).label(price_label)]
    if located:
        columns.append(location.code.label("Location Code"))
    query = (select(*columns, line.amount.label("Amount"), principal.code.label("Principal"))
             .join(line, getattr(line, lines_fk) == header.id)
             .join(counterpart, getattr(header, party_column) == counterpart.id)
             .join(product, line.product_id == product.id)
             .join(principal, header.principal_id == principal.id))
    if located:
        query = query.outerjoin(location, header.location_id == location.id)
    return header, query.order_by(header.number, line.line_no)


def _sales_orders():
    return _document_export(documents.SalesOrder, documents.SalesOrderLine, "order_id",
                            "Order Number", "order_date", "Order Date",
                            ("customer_id", "Customer Code"), Customer, "unit_price",
                            "Unit Price")


def _sales_invoices():
    return _document_export(documents.SalesInvoice, documents.SalesInvoiceLine, "invoice_id",
                            "Invoice Number", "invoice_date", "Invoice Date",
                            ("customer_id", "Customer Code"), Customer, "unit_price",
                            "Unit Price")


def _purchase_invoices():
    return _document_export(documents.PurchaseInvoice, documents.PurchaseInvoiceLine,
                            "invoice_id", "Invoice Number", "invoice_date", "Invoice Date",
                            ("supplier_id", "Supplier Code"), Organization, "unit_cost",
                            "Unit Cost", located=False)


def _daily_visits():
    visit = documents.DailyVisit
    customer, principal = aliased(Customer), aliased(Organization)
    return visit, (select(
        visit.visit_date.label("Visit Date"), visit.salesperson.label("Salesperson"),
        customer.code.label("Customer Code"), visit.check_in.label("Check In"),
        visit.check_out.label("Check Out"), visit.notes.label("Notes"),
        principal.code.label("Principal"))
        .join(customer, visit.customer_id == customer.id)
        .join(principal, visit.principal_id == principal.id)
        .order_by(visit.visit_date, visit.salesperson, customer.code, visit.check_in))


CONSOLIDATED_EXPORTS = {"sales_orders": _sales_orders, "sales_invoices": _sales_invoices,
                        "purchase_invoices": _purchase_invoices,
                        "daily_visits": _daily_visits}


def export_rows(module_name: str, org: Organization, viewer: Viewer) -> tuple[list, list]:
    """(header, rows) of ORG's records of the module that `viewer` may see."""
    if module_name in SHOWN_ONLY:
        raise MuaraError(f"Exporting {SHOWN_ONLY[module_name]} is not supported yet.")
    check_module(module_name)
    model, query = _query(module_name)
    if module_name in CONSOLIDATED_EXPORTS and org.kind == OrgKind.principal:
        # A principal's consolidated records: every connected distributor's shared with it.
        query = query.where(model.principal_id == org.id)
    else:
        query = query.where(model.organization_id == org.id)
    query = scope(query, model, viewer)
    result = db.session.execute(query)
    return list(result.keys()), result


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def write_export(header: list, rows: list, fmt: str, out: TextIO) -> None:
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(safe_row(header))
        for row in rows:
            writer.writerow(safe_row(_plain(v) for v in row))
    elif fmt == "json":
        out.write("[")
        for n, row in enumerate(rows):
            out.write(",\n" if n else "\n")
            record = {k: _plain(v) for k, v in zip(header, row, strict=True)}
            out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n]\n")
    else:
        raise MuaraError(f"format {fmt} is not available for this module (csv or json)")


def export_returns_xml(org: Organization, viewer: Viewer, out: TextIO) -> None:
    """Customer returns of ORG that `viewer` may see, in their import format (RET-1)."""
    from app.importing.returns.export import export_returns
    from app.models import CustomerReturn
    query = scope(select(CustomerReturn).where(CustomerReturn.organization_id == org.id),
                  CustomerReturn, viewer)
    export_returns(db.session, query, out)


def export_text(module_name: str, org: Organization, viewer: Viewer, fmt: str) -> str:
    buffer = io.StringIO()
    if module_name == "customer_returns":
        if fmt != "xml":
            raise MuaraError("customer_returns are exported in their XML format: --format xml")
        export_returns_xml(org, viewer, buffer)
    else:
        header, rows = export_rows(module_name, org, viewer)
        write_export(header, rows, fmt, buffer)
    record_now("export", module_name, None, org.code, f"{module_name} as {fmt}")
    return buffer.getvalue()
