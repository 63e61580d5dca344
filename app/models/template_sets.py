"""Template sets: the sheets of one workbook mapped to modules, each through a mapper
template, imported by one upload (issue 19.5)."""
from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.models.organizations import TenantOwned


class TemplateSet(TenantOwned, Model):
    __tablename__ = "template_set"
    __organization_index__ = False  # the unique key (organization_id, name) serves
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_template_set_name"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    sheets = relationship("TemplateSetSheet", back_populates="template_set",
                          cascade="all, delete-orphan", order_by="TemplateSetSheet.position")

    def __repr__(self):
        return self.name

    def sheet_list(self):
        """"Customers, Products, Invoices": the sheets in the order they are imported."""
        from app.importing.modules import in_dependency_order
        ranked = in_dependency_order(list(self.sheets),
                                     lambda sheet: sheet.template.module if sheet.template else "")
        return ", ".join(sheet.sheet for sheet in ranked) or "no sheets yet"


class TemplateSetSheet(Model):
    """One sheet of a set: its name in the workbook and the template that reads it (the
    template says the module)."""
    __tablename__ = "template_set_sheet"
    __tenant_parent__ = ("template_set_id", TemplateSet)
    __table_args__ = (UniqueConstraint("template_set_id", "sheet", name="uq_template_set_sheet"),)

    id = Column(Integer, primary_key=True)
    template_set_id = Column(Integer, ForeignKey("template_set.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    template_set = relationship("TemplateSet", back_populates="sheets")
    position = Column(Integer, nullable=False, default=0)
    sheet = Column(String(100), nullable=False)
    template_id = Column(Integer, ForeignKey("mapper_template.id"), nullable=False, index=True)
    template = relationship("MapperTemplate")

    def __repr__(self):
        return f"{self.sheet} <- {self.template.name if self.template else '?'}"

    def module_name(self):
        from app.importing.modules import module_label
        return module_label(self.template.module) if self.template else ""
