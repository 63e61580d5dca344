"""Organizations (distributors and principals), their locations and master data (ORG-1)."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, Enum, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import declared_attr, relationship

from app.models.mixins import ValueEnum


class OrgKind(ValueEnum):
    distributor = "distributor"
    principal = "principal"


class Organization(Model):
    __tablename__ = "organization"
    __tenant_column__ = "id"

    id = Column(Integer, primary_key=True)
    code = Column(String(40), unique=True, nullable=False)
    name = Column(String(200), nullable=False)
    kind = Column(Enum(OrgKind, name="org_kind", native_enum=False, length=20), nullable=False)
    multi_location = Column(Boolean, nullable=False, default=False)
    # What its users read by default (a user may choose otherwise) and the local time of
    # its screens and e-mails (issue 16).
    language = Column(String(8), nullable=False, default="en", server_default="en")
    time_zone = Column(String(64), nullable=False, default="Asia/Jakarta",
                       server_default="Asia/Jakarta")

    locations = relationship("Location", back_populates="organization",
                             cascade="all, delete-orphan")

    def __repr__(self):
        return f"{self.code} - {self.name}"


class TenantOwned:
    """Mixin: a row that belongs to one organization; tenancy scopes it by that column."""
    __tenant_column__ = "organization_id"
    # Its own index on organization_id, unless a unique key starting with it serves.
    __organization_index__ = True

    @declared_attr
    def organization_id(cls):
        return Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"),
                      nullable=False, index=cls.__organization_index__)

    @declared_attr
    def organization(cls):
        return relationship("Organization", foreign_keys=f"{cls.__name__}.organization_id")


class SharedThroughFile(TenantOwned):
    """Mixin: a distributor's imported record, shown to the principal that the file which
    last wrote it was shared with ("Who can view these files?") while the two are
    connected (CON-1). The principal is kept on the record, not only on the file, so the
    record stays visible after the retention purge deletes its file (IMP-5)."""
    __shared_principal_column__ = "principal_id"

    @declared_attr
    def principal_id(cls):
        return Column(Integer, ForeignKey("organization.id", ondelete="SET NULL"))

    @declared_attr
    def principal(cls):
        return relationship("Organization", foreign_keys=f"{cls.__name__}.principal_id")


class MasterData(TenantOwned):
    """Mixin: an organization's master data, unique by its code within the organization."""
    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False)
    name = Column(String(200), nullable=False)

    @declared_attr
    def __table_args__(cls):
        return (UniqueConstraint("organization_id", "code",
                                 name=f"uq_{cls.__tablename__}_org_code"),)

    def __repr__(self):
        return f"{self.code} - {self.name}"


class Location(MasterData, Model):
    __tablename__ = "location"

    organization = relationship("Organization", back_populates="locations")


class Customer(MasterData, Model):
    __tablename__ = "customer"

    # The source system's id of the customer (INT-2's customer data mapping).
    source_id = Column(String(60))
    # The sum of its open invoices less its credits: each of those fits Numeric(18, 3)
    # (below 10^15), their sum need not, so the total has 12 more digits (issue 19.4).
    balance = Column(Numeric(30, 3), nullable=False, default=0)


class Product(MasterData, Model):
    __tablename__ = "product"

    unit = Column(String(20), nullable=False)


class Membership(Model):
    """Links a login (the framework's ab_user) to the organization it works for."""
    __tablename__ = "membership"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"),
                     nullable=False, unique=True)
    user = relationship(User)
    organization_id = Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    organization = relationship("Organization")

    def __repr__(self):
        return f"{self.user} @ {self.organization}"
