"""Documents pushed by integrations (SYN-4), written when their sync record is applied:
sales transactions with lines, transfers out and in, stock adjustments and stock
opnames. Each is unique per integration and source reference, so applying a record
again updates instead of duplicating."""
from flask_appbuilder import Model
from sqlalchemy import Column, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.models.mixins import IntegrationOwned
from app.models.organizations import TenantOwned


class _Pushed(IntegrationOwned, TenantOwned):
    __organization_index__ = False

    id = Column(Integer, primary_key=True)
    reference = Column(String(120), nullable=False)
    document_date = Column(Date, nullable=False)
    location_code = Column(String(40))

    def __repr__(self):
        return self.reference


def _unique(table):
    return (UniqueConstraint("organization_id", "integration_id", "reference",
                             name=f"uq_{table}_ref"),)


def _stock_lines(parent_column):
    return relationship("StockDocumentLine", cascade="all, delete-orphan",
                        foreign_keys=f"StockDocumentLine.{parent_column}",
                        order_by="StockDocumentLine.id")


class SalesTransaction(_Pushed, Model):
    __tablename__ = "sales_transaction"
    __table_args__ = _unique("sales_transaction")

    customer_code = Column(String(60))
    total = Column(Numeric(18, 3), nullable=False)
    lines = relationship("SalesTransactionLine", cascade="all, delete-orphan",
                         order_by="SalesTransactionLine.id")


class SalesTransactionLine(Model):
    __tablename__ = "sales_transaction_line"

    id = Column(Integer, primary_key=True)
    transaction_id = Column(Integer, ForeignKey("sales_transaction.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    product_code = Column(String(40), nullable=False)
    quantity = Column(Numeric(18, 3), nullable=False)
    unit_price = Column(Numeric(18, 3), nullable=False)


class StockTransfer(_Pushed, Model):
    """A transfer outlet to outlet or warehouse: its "out" and its "in" are two
    documents; the "in" names the "out" it receives."""
    __tablename__ = "stock_transfer"
    __table_args__ = (UniqueConstraint("organization_id", "integration_id", "direction",
                                       "reference", name="uq_stock_transfer_ref"),)

    direction = Column(String(3), nullable=False)  # out | in
    transfer_out_reference = Column(String(120))   # of an "in"
    destination_code = Column(String(40))
    lines = _stock_lines("transfer_id")


class StockAdjustment(_Pushed, Model):
    __tablename__ = "stock_adjustment"
    __table_args__ = _unique("stock_adjustment")

    note = Column(String(200))
    lines = _stock_lines("adjustment_id")


class StockOpname(_Pushed, Model):
    """A stock count: the counted quantity of each product at a location."""
    __tablename__ = "stock_opname"
    __table_args__ = _unique("stock_opname")

    lines = _stock_lines("opname_id")


class StockDocumentLine(Model):
    """A product and quantity of a transfer, an adjustment (signed) or an opname
    (counted): exactly one of the three parents is set."""
    __tablename__ = "stock_document_line"

    id = Column(Integer, primary_key=True)
    transfer_id = Column(Integer, ForeignKey("stock_transfer.id", ondelete="CASCADE"),
                         index=True)
    adjustment_id = Column(Integer, ForeignKey("stock_adjustment.id", ondelete="CASCADE"),
                           index=True)
    opname_id = Column(Integer, ForeignKey("stock_opname.id", ondelete="CASCADE"), index=True)
    product_code = Column(String(40), nullable=False)
    quantity = Column(Numeric(18, 3), nullable=False)
