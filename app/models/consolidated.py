"""Consolidated records of the Smart-Portal modules (seed 000, SO-1, SYN-1): sales orders,
sales invoices and purchase invoices with their lines, daily visits; and the staging rows
files wait in until they are consolidated.

A consolidated row carries its distributor (organization_id) and the principal its file
was shared with (principal_id): it stays visible after the retention purge deleted its
file, and tenancy scopes it by that pair and the pair's connection (CON-1). file_id is the
number of the file that last wrote it (no foreign key: files are purged), so a document
is only ever updated by a later file.
"""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import declared_attr, relationship

from app.models.mixins import InvoiceLine, ProductLine, reference, related
from app.models.organizations import TenantOwned


class SharedWithPrincipal(TenantOwned):
    """Mixin: a distributor's record shown to one principal while they are connected."""
    __shared_principal_column__ = "principal_id"

    @declared_attr
    def principal_id(cls):
        return sa.Column(sa.Integer, sa.ForeignKey("organization.id", ondelete="CASCADE"),
                         nullable=False, index=True)

    @declared_attr
    def principal(cls):
        return relationship("Organization", foreign_keys=f"{cls.__name__}.principal_id")

    @declared_attr
    def file_id(cls):
        return sa.Column(sa.Integer, nullable=False)

    @declared_attr
    def consolidated_at(cls):
        return sa.Column(sa.DateTime, nullable=False)


class ConsolidatedDocument(SharedWithPrincipal):
    """Mixin: a numbered document (unique per distributor) with its lines, the model named
    after it + "Line" whose `__parent_attr__` relationship points back at it."""
    __organization_index__ = False  # the unique key starts with it
    __line_parent__ = "invoice"

    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(40), nullable=False)
    line_count = sa.Column(sa.Integer, nullable=False)
    total = sa.Column(sa.Numeric(18, 3), nullable=False)

    @declared_attr
    def __table_args__(cls):
        return (sa.UniqueConstraint("organization_id", "number",
                                    name=f"uq_{cls.__tablename__}_number"),)

    @declared_attr
    def lines(cls):
        line = f"{cls.__name__}Line"
        return relationship(line, cascade="all, delete-orphan", order_by=f"{line}.line_no",
                            back_populates=cls.__line_parent__)

    def __repr__(self):
        return self.number


class SoldToCustomer:
    """Mixin: a sales document's customer and, optionally, its location."""
    customer_id = reference("customer", "RESTRICT", nullable=False)
    customer = related("Customer")
    location_id = reference("location", "RESTRICT")
    location = related("Location")


class SalesOrder(SoldToCustomer, ConsolidatedDocument, Model):
    __tablename__ = "sales_order"
    __line_parent__ = "order"

    order_date = sa.Column(sa.Date, nullable=False, index=True)


class SalesOrderLine(ProductLine, Model):
    __tablename__ = "sales_order_line"
    __tenant_parent__ = ("order_id", SalesOrder)

    order_id = sa.Column(sa.Integer, sa.ForeignKey("sales_order.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    order = relationship("SalesOrder", back_populates="lines")
    unit_price = sa.Column(sa.Numeric(18, 3), nullable=False)


class Invoice(ConsolidatedDocument):
    """Mixin: an invoice, by its date."""
    invoice_date = sa.Column(sa.Date, nullable=False, index=True)


class SalesInvoice(SoldToCustomer, Invoice, Model):
    __tablename__ = "sales_invoice"


class SalesInvoiceLine(InvoiceLine, Model):
    __tablename__ = "sales_invoice_line"
    __tenant_parent__ = ("invoice_id", SalesInvoice)

    unit_price = sa.Column(sa.Numeric(18, 3), nullable=False)


class PurchaseInvoice(Invoice, Model):
    __tablename__ = "purchase_invoice"

    supplier_id = sa.Column(sa.Integer, sa.ForeignKey("organization.id", ondelete="RESTRICT"),
                            nullable=False)
    supplier = relationship("Organization", foreign_keys=[supplier_id])


class PurchaseInvoiceLine(InvoiceLine, Model):
    __tablename__ = "purchase_invoice_line"
    __tenant_parent__ = ("invoice_id", PurchaseInvoice)

    unit_cost = sa.Column(sa.Numeric(18, 3), nullable=False)


class DailyVisit(SharedWithPrincipal, Model):
    __tablename__ = "daily_visit"
    __organization_index__ = False
    __table_args__ = (sa.UniqueConstraint("organization_id", "visit_date", "salesperson",
                                          "customer_id", "check_in", name="uq_daily_visit"),)

    id = sa.Column(sa.Integer, primary_key=True)
    visit_date = sa.Column(sa.Date, nullable=False, index=True)
    salesperson = sa.Column(sa.String(100), nullable=False)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id", ondelete="RESTRICT"),
                            nullable=False)
    customer = relationship("Customer")
    check_in = sa.Column(sa.String(5), nullable=False)  # HH:MM
    check_out = sa.Column(sa.String(5))
    notes = sa.Column(sa.String(500))


class StagedRow(Model):
    """A validated row of a file waiting for consolidation: its record as JSON (codes,
    not ids: master data is resolved again when it is consolidated)."""
    __tablename__ = "staged_row"
    __table_args__ = (sa.Index("ix_staged_row_import_document", "import_id", "document"),)

    id = sa.Column(sa.Integer, primary_key=True)
    import_id = sa.Column(sa.Integer, sa.ForeignKey("import_file.id", ondelete="CASCADE"),
                          nullable=False)
    document = sa.Column(sa.String(200), nullable=False)
    row = sa.Column(sa.Integer)
    data = sa.Column(sa.Text, nullable=False)
    original = sa.Column(sa.Text)  # the row's cells as read, for a rejection after the fact
