"""Records written by the import modules of seed 002: open invoices, balance
adjustments (open credits) and stock in boxes (INV-1, CRD-1, BOX-1)."""
from flask_appbuilder import Model
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.organizations import SharedThroughFile


class OpenInvoice(SharedThroughFile, Model):
    __tablename__ = "open_invoice"
    # Every index costs each imported row (a secondary index on a 1,000,000-row import:
    # ~4 s of SQLite's time, as much as validating every row), so there are only those
    # the Open Invoices screen needs at ten million rows (issue 14): the unique key
    # serves lookups by organization; the list's order (newest invoice first, within
    # an organization) and an Invoice Date range read (organization, date, id) in
    # order, never sorting millions for a page; a Customer PO search and a customer's
    # invoices (also the RESTRICT check of a customer's delete) have their own, which
    # serve every viewer. An Admin's and a principal's list (every organization's, or
    # what several distributors share) read (date, id) newest first, filtered.
    __organization_index__ = False
    __table_args__ = (
        UniqueConstraint("organization_id", "reference", name="uq_invoice_ref"),
        Index("ix_open_invoice_org_date", "organization_id", "invoice_date", "id"),
        Index("ix_open_invoice_date", "invoice_date", "id"),
        Index("ix_open_invoice_po", "customer_po"),
        Index("ix_open_invoice_customer_date", "customer_id", "invoice_date"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(20), nullable=False)  # "Invoice #", the invoice's Ref #
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    customer = relationship("Customer")
    invoice_date = Column(Date, nullable=False)
    balance = Column(Numeric(18, 3), nullable=False)
    customer_po = Column(String(20), nullable=False)
    location_id = Column(Integer, ForeignKey("location.id", ondelete="RESTRICT"))
    location = relationship("Location")
    carrier = Column(String(40), nullable=False, default="No Carrier")
    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"))
    charges = relationship("InvoiceCharge", cascade="all, delete-orphan")

    def charges_text(self):
        return ", ".join(f"{c.kind}: {c.amount}" for c in self.charges)


class InvoiceCharge(Model):
    """The invoice's total, kept as an Additional Charge line (seed 002)."""
    __tablename__ = "invoice_charge"
    __table_args__ = (UniqueConstraint("invoice_id", "kind", name="uq_invoice_charge_kind"),)

    id = Column(Integer, primary_key=True)
    invoice_id = Column(Integer, ForeignKey("open_invoice.id", ondelete="CASCADE"),
                        nullable=False)
    kind = Column(String(40), nullable=False, default="Additional Charge")
    amount = Column(Numeric(18, 3), nullable=False)


class BalanceAdjustment(SharedThroughFile, Model):
    """An open credit: a positive amount that lowers the customer's balance."""
    __tablename__ = "balance_adjustment"
    __table_args__ = (UniqueConstraint("organization_id", "customer_id", "reference",
                                       name="uq_adjustment_ref"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    customer = relationship("Customer")
    credit_date = Column(Date, nullable=False)
    reference = Column(String(40), nullable=False)
    amount = Column(Numeric(18, 3), nullable=False)
    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"))


class StockEntry(SharedThroughFile, Model):
    """Stock added in boxes: boxes x units per box of a product at a location on a date."""
    __tablename__ = "stock_entry"
    __table_args__ = (UniqueConstraint("organization_id", "product_id", "location_id",
                                       "entry_date", name="uq_stock_entry"),)

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    product = relationship("Product")
    location_id = Column(Integer, ForeignKey("location.id", ondelete="CASCADE"), nullable=False)
    location = relationship("Location")
    entry_date = Column(Date, nullable=False)
    boxes = Column(Integer, nullable=False)
    units_per_box = Column(Integer, nullable=False)
    quantity = Column(BigInteger, nullable=False)
    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"))
