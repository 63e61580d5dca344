"""Mapper templates: how a file becomes records of a module (TPL-1, TPL-2)."""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import relationship

from app.models.mixins import ValueEnum
from app.models.organizations import TenantOwned


class RejectionPolicy(ValueEnum):
    accept_valid = "accept_valid"
    all_or_nothing = "all_or_nothing"

    @property
    def label(self):
        return POLICY_LABELS[self]


POLICY_LABELS = {RejectionPolicy.accept_valid: "Accept valid rows",
                 RejectionPolicy.all_or_nothing: "All or nothing"}


class MapperTemplate(TenantOwned, Model):
    __tablename__ = "mapper_template"
    # One default template per organization and module: a partial unique index.
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_template_org_name"),
                      Index("uq_template_module_default", "organization_id", "module",
                            unique=True, sqlite_where=text("is_default"),
                            postgresql_where=text("is_default")))

    id = Column(Integer, primary_key=True)
    module = Column(String(40), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    # xlsx, xls, ods, csv or xml; empty = whatever the file turns out to be.
    file_format = Column(String(10))
    # A sheet's name ("2025" is a name), or its position written "#2"; empty = the first
    # visible sheet (app.importing.sheets).
    sheet = Column(String(100))
    # The CSV text encoding (a Python codec name); empty = decided from the file's bytes.
    encoding = Column(String(40))
    header_row = Column(Integer, nullable=False, default=1)
    policy = Column(Enum(RejectionPolicy, name="rejection_policy", native_enum=False, length=20),
                    nullable=False, default=RejectionPolicy.accept_valid)
    # The module's default template: the one a file of the module is read with when the
    # upload names none (issue 17).
    is_default = Column(Boolean, nullable=False, default=False, server_default=false())
    fields = relationship("TemplateField", back_populates="template",
                          cascade="all, delete-orphan", order_by="TemplateField.position")

    def __repr__(self):
        return f"{self.name} ({self.module})"


class TemplateField(Model):
    """One line of a template: where a target field's value comes from, and how it is
    cleaned before validation."""
    __tablename__ = "template_field"
    __tenant_parent__ = ("template_id", MapperTemplate)
    __table_args__ = (UniqueConstraint("template_id", "field", name="uq_template_field"),)

    id = Column(Integer, primary_key=True)
    template_id = Column(Integer, ForeignKey("mapper_template.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    template = relationship("MapperTemplate", back_populates="fields")
    position = Column(Integer, nullable=False, default=0)
    field = Column(String(60), nullable=False)
    # The header text, or a column letter such as "C": source_kind says which, so a
    # header whose text is "a" is never taken for column A (app.importing.columns).
    source_column = Column(String(100))
    source_kind = Column(String(10), nullable=False, default="header", server_default="header")
    required = Column(Boolean, nullable=False, default=False)
    default_value = Column(String(200))
    trim = Column(Boolean, nullable=False, default=True)
    case = Column(String(10))  # upper | lower | empty
    date_formats = Column(String(200))  # e.g. "%Y-%m-%d, %d/%m/%Y"
    decimal_separator = Column(String(1))
    thousands_separator = Column(String(1))
    value_map = Column(Text)  # e.g. "Y=true; N=false"

    def __repr__(self):
        return f"{self.field} <- {self.source_column or '(default)'}"

    def field_header(self):
        """The module field's header ("Customer PO" for customer_po): a field name means
        different columns in different modules (code: Customer Code, Product Code)."""
        from app.importing.modules import MODULES
        module = MODULES.get(self.template.module) if self.template else None
        declared = module and next((f for f in module.fields if f.name == self.field), None)
        return declared.header if declared else self.field
