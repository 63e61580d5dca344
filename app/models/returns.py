"""Customer returns (seed 004, RET-1): the return (header), its details with sub-details
for kit components, info texts and text assignments on each of them, and the master data
they reference that Muara did not have yet: sales organizations (partners), return types
with their number ranges, and units of measure.

Customers are Muara's customers (`Customer`, code = the seed's customer number) and items
are Muara's products (`Product`, code = the seed's item number): one master data list
each, whatever module refers to them.
"""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declared_attr, relationship

from app.models.mixins import ValueEnum, reference, related
from app.models.organizations import MasterData, SharedThroughFile, TenantOwned


class ReturnStatus(ValueEnum):
    in_preparation = "in_preparation"  # "W opracowaniu": the opening status of a type
    released = "released"              # "Zwolniony"
    blocked = "blocked"                # "Zablokowany"
    invalid = "invalid"                # "Nieprawidłowy": while it is being imported

    @property
    def label(self):
        return self.value.replace("_", " ").capitalize()


def _status_column(default):
    return Column(Enum(ReturnStatus, name="return_status", native_enum=False, length=20),
                  nullable=False, default=default)


class Partner(TenantOwned, Model):
    """A sales organization of the company (the seed's `invoicingPartyData.partner`)."""
    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("organization_id", "number", name="uq_partner_org_number"),)

    id = Column(Integer, primary_key=True)
    number = Column(String(40), nullable=False)
    name = Column(String(200), nullable=False)
    guid = Column(String(36), nullable=False, unique=True)

    def __repr__(self):
        return f"{self.number} - {self.name}"


class UnitOfMeasure(MasterData, Model):
    __tablename__ = "unit_of_measure"
    __table_args__ = (UniqueConstraint("organization_id", "code", name="uq_uom_org_code"),)

    code = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    guid = Column(String(36), nullable=False, unique=True)

    def __repr__(self):
        return self.code


class ReturnType(MasterData, Model):
    """A customer return type with its number range: numbers are
    prefix + next_number zero-padded to number_width digits."""
    __tablename__ = "return_type"

    code = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    guid = Column(String(36), nullable=False, unique=True)
    number_prefix = Column(String(20), nullable=False, default="")
    number_width = Column(Integer, nullable=False, default=6)
    next_number = Column(Integer, nullable=False, default=1)
    opening_status = _status_column(ReturnStatus.in_preparation)


class CustomerReturn(SharedThroughFile, Model):
    __tablename__ = "customer_return"
    __table_args__ = (UniqueConstraint("organization_id", "type_id", "number",
                                       name="uq_customer_return_number"),)

    id = Column(Integer, primary_key=True)
    # The distributor that imported it (the tenant).
    guid = Column(String(36), nullable=False, unique=True)
    type_id = Column(Integer, ForeignKey("return_type.id", ondelete="RESTRICT"), nullable=False)
    type = relationship("ReturnType")
    number = Column(String(40), nullable=False, index=True)
    # The sales organization (invoicingPartyData.partner).
    partner_id = Column(Integer, ForeignKey("partner.id", ondelete="RESTRICT"), nullable=False)
    partner = relationship("Partner")
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    customer = relationship("Customer")
    date = Column(Date)
    status = _status_column(ReturnStatus.in_preparation)
    # A control lock (e.g. released with follow-up documents): imports may not change it.
    control_lock = Column(Boolean, nullable=False, default=False)
    control_lock_reason = Column(String(200))
    # The last import that created or changed it.
    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"), index=True)

    details = relationship("CustomerReturnDetail", back_populates="customer_return",
                           cascade="all, delete-orphan",
                           order_by="CustomerReturnDetail.number")
    info_texts = relationship(
        "ReturnInfoText", order_by="ReturnInfoText.language",
        primaryjoin="and_(ReturnInfoText.return_id == CustomerReturn.id, "
                    "ReturnInfoText.detail_id.is_(None))", viewonly=True)
    text_assignments = relationship(
        "ReturnTextAssignment", order_by="ReturnTextAssignment.number", viewonly=True,
        primaryjoin="and_(ReturnTextAssignment.return_id == CustomerReturn.id, "
                    "ReturnTextAssignment.detail_id.is_(None))")

    def __repr__(self):
        return f"{self.type.code if self.type else '?'} {self.number}"

    def status_name(self):
        return self.status.label


class ReturnPart:
    """Mixin: a detail or sub-detail of a return, scoped as its return is."""
    __tenant_parent__ = ("return_id", CustomerReturn)

    id = Column(Integer, primary_key=True)
    return_id = reference("customer_return", "CASCADE", nullable=False, index=True)
    guid = Column(String(36), nullable=False, unique=True)


class CustomerReturnDetail(ReturnPart, Model):
    __tablename__ = "customer_return_detail"
    __table_args__ = (UniqueConstraint("return_id", "number", name="uq_return_detail_number"),)

    customer_return = relationship("CustomerReturn", back_populates="details")
    number = Column(Integer, nullable=False)
    item_id = Column(Integer, ForeignKey("product.id", ondelete="RESTRICT"), nullable=False)
    item = relationship("Product")
    quantity = Column(Numeric(18, 3), nullable=False)
    uom_id = Column(Integer, ForeignKey("unit_of_measure.id", ondelete="RESTRICT"),
                    nullable=False)
    uom = relationship("UnitOfMeasure")
    canceled = Column(Boolean, nullable=False, default=False)
    status = _status_column(ReturnStatus.in_preparation)
    # The import that created it: a detail is not cancelled by the import that created it.
    created_import_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"))

    sub_details = relationship("CustomerReturnSubDetail", back_populates="detail",
                               cascade="all, delete-orphan",
                               order_by="CustomerReturnSubDetail.sub_number")

    def __repr__(self):
        return f"{self.customer_return} / {self.number}"


class CustomerReturnSubDetail(ReturnPart, Model):
    """A kit component of a detail (the seed's `SubDetails`)."""
    __tablename__ = "customer_return_sub_detail"
    __table_args__ = (UniqueConstraint("detail_id", "sub_number", name="uq_return_sub_detail"),)

    detail_id = Column(Integer, ForeignKey("customer_return_detail.id", ondelete="CASCADE"),
                       nullable=False, index=True)
    detail = relationship("CustomerReturnDetail", back_populates="sub_details")
    sub_number = Column(Integer, nullable=False)
    item_id = Column(Integer, ForeignKey("product.id", ondelete="RESTRICT"))
    item = relationship("Product")
    quantity = Column(Numeric(18, 3))
    uom_id = Column(Integer, ForeignKey("unit_of_measure.id", ondelete="RESTRICT"))
    uom = relationship("UnitOfMeasure")

    def __repr__(self):
        return f"{self.detail} / {self.sub_number}"


class TextOwner:
    """Mixin: a text that belongs to a return, one of its details or a sub-detail; scoped
    as its return is."""
    __tenant_parent__ = ("return_id", CustomerReturn)

    @declared_attr
    def return_id(cls):
        return Column(Integer, ForeignKey("customer_return.id", ondelete="CASCADE"),
                      nullable=False)

    @declared_attr
    def customer_return(cls):
        return relationship("CustomerReturn", foreign_keys=f"{cls.__name__}.return_id")

    detail_id = reference("customer_return_detail", "CASCADE")
    detail = related("CustomerReturnDetail")
    sub_detail_id = reference("customer_return_sub_detail", "CASCADE")


class ReturnInfoText(TextOwner, Model):
    """An info text (one per language) of a return, a detail or a sub-detail."""
    __tablename__ = "return_info_text"
    __table_args__ = (Index("ix_return_info_text_owner", "return_id", "detail_id",
                            "sub_detail_id", "language"),)

    id = Column(Integer, primary_key=True)
    language = Column(String(20), nullable=False)
    text = Column(Text, nullable=False)
    content_type = Column(String(60), nullable=False, default="text/plain")

    def owner(self):
        return str(self.detail) if self.detail_id else str(self.customer_return)


class ReturnTextAssignment(TextOwner, Model):
    """A text assignment (the seed's `TextAssignments`) of a return, detail or sub-detail:
    a line number, a text type, an optional text module code, and texts per language."""
    __tablename__ = "return_text_assignment"
    __table_args__ = (Index("ix_return_text_assignment_owner", "return_id", "detail_id",
                            "sub_detail_id", "number"),)

    id = Column(Integer, primary_key=True)
    number = Column(Integer, nullable=False)
    type = Column(String(40))
    code = Column(String(40))
    document = Column(String(100))
    texts = relationship("ReturnTextAssignmentText", cascade="all, delete-orphan",
                         order_by="ReturnTextAssignmentText.language")

    def owner(self):
        return str(self.detail) if self.detail_id else str(self.customer_return)

    def texts_text(self):
        return " | ".join(f"{t.language}: {t.text}" for t in self.texts)


class ReturnTextAssignmentText(Model):
    __tablename__ = "return_text_assignment_text"
    __table_args__ = (UniqueConstraint("assignment_id", "language",
                                       name="uq_return_assignment_text_language"),)

    id = Column(Integer, primary_key=True)
    assignment_id = Column(Integer, ForeignKey("return_text_assignment.id", ondelete="CASCADE"),
                           nullable=False)
    language = Column(String(20), nullable=False)
    text = Column(Text, nullable=False)
    content_type = Column(String(60), nullable=False, default="text/plain")
