"""An integration's link to an OAuth service (INT-3, seed 003), where its sync got to,
and the master data the service brings that Muara had no table for.

Tokens and the service session are stored encrypted (app/services/secrets.py); the
columns hold Fernet tokens, never the secrets themselves.

Synced sales orders have their own tables here; issue 4's consolidated sales orders are
built separately and the two could be unified later.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.mixins import ValueEnum
from app.models.organizations import TenantOwned
from app.models.tasks import utcnow


class LinkStatus(ValueEnum):
    disconnected = "disconnected"
    choose_branch = "choose_branch"   # authorized, the user still picks a branch
    connected = "connected"

    @property
    def label(self):
        return {"choose_branch": "Authorized: choose a branch"}.get(self.value,
                                                                    self.value.capitalize())


class ServiceLink(TenantOwned, Model):
    __tablename__ = "service_link"
    __organization_index__ = False  # integration_id is unique; org filters go through it

    id = Column(Integer, primary_key=True)
    integration_id = Column(Integer, ForeignKey("integration.id", ondelete="CASCADE"),
                            nullable=False, unique=True)
    integration = relationship("Integration")
    service = Column(String(20), nullable=False)
    status = Column(Enum(LinkStatus, name="link_status", native_enum=False, length=20),
                    nullable=False, default=LinkStatus.disconnected)
    access_token = Column(Text)    # encrypted
    refresh_token = Column(Text)   # encrypted
    token_expires_at = Column(DateTime)
    scope = Column(Text)
    branch_id = Column(String(60))
    branch_name = Column(String(200))
    session_host = Column(String(300))
    session_id = Column(Text)      # encrypted
    connected_at = Column(DateTime)
    # The last fault that needs the user (a revoked grant, a missing right).
    message = Column(Text)

    def __repr__(self):
        return f"{self.service} link of integration {self.integration_id} ({self.status})"


class SyncCursor(TenantOwned, Model):
    """How far a sync got through one resource: a failed run resumes at `next_page`, and
    resources finished before the fault are not read again until the group completes."""
    __tablename__ = "service_sync_cursor"
    __table_args__ = (UniqueConstraint("integration_id", "resource", name="uq_sync_cursor"),)
    __organization_index__ = False

    id = Column(Integer, primary_key=True)
    integration_id = Column(Integer, ForeignKey("integration.id", ondelete="CASCADE"),
                            nullable=False)
    resource = Column(String(40), nullable=False)
    next_page = Column(Integer, nullable=False, default=1)
    finished = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class _ServiceRow(TenantOwned):
    """A row brought by a service: its id there is its key here."""
    __organization_index__ = False
    id = Column(Integer, primary_key=True)
    reference = Column(String(60), nullable=False)   # the service's id
    name = Column(String(200), nullable=False)
    synced_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Tax(_ServiceRow, Model):
    __tablename__ = "tax"
    __table_args__ = (UniqueConstraint("organization_id", "reference", name="uq_tax_ref"),)
    code = Column(String(40))
    rate = Column(Numeric(9, 4))

    def __repr__(self):
        return self.code or self.name


class PaymentTerm(_ServiceRow, Model):
    __tablename__ = "payment_term"
    __table_args__ = (UniqueConstraint("organization_id", "reference", name="uq_payment_term_ref"),)
    net_days = Column(Integer)

    def __repr__(self):
        return self.name


class Employee(_ServiceRow, Model):
    __tablename__ = "employee"
    __table_args__ = (UniqueConstraint("organization_id", "reference", name="uq_employee_ref"),)
    number = Column(String(40))

    def __repr__(self):
        return f"{self.number or ''} {self.name}".strip()


class ServiceSalesOrder(TenantOwned, Model):
    __tablename__ = "service_sales_order"
    __table_args__ = (UniqueConstraint("integration_id", "reference", name="uq_service_so_ref"),)

    id = Column(Integer, primary_key=True)
    integration_id = Column(Integer, ForeignKey("integration.id", ondelete="CASCADE"),
                            nullable=False)
    reference = Column(String(60), nullable=False)   # the service's id
    number = Column(String(60), nullable=False)
    order_date = Column(Date, nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    customer = relationship("Customer")
    customer_code = Column(String(40))
    status = Column(String(60))
    total = Column(Numeric(18, 3))
    synced_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    lines = relationship("ServiceSalesOrderLine", back_populates="order",
                         cascade="all, delete-orphan", order_by="ServiceSalesOrderLine.line_no")

    def __repr__(self):
        return self.number


class ServiceSalesOrderLine(Model):
    __tablename__ = "service_sales_order_line"
    __tenant_parent__ = ("order_id", ServiceSalesOrder)

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("service_sales_order.id", ondelete="CASCADE"),
                      nullable=False, index=True)
    order = relationship(ServiceSalesOrder, back_populates="lines")
    line_no = Column(Integer, nullable=False)
    item_code = Column(String(40), nullable=False)
    product_id = Column(Integer, ForeignKey("product.id", ondelete="SET NULL"))
    quantity = Column(Numeric(18, 3), nullable=False)
    unit = Column(String(20))
    unit_price = Column(Numeric(18, 3))
