"""Connections between a distributor and a principal (CON-1)."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import relationship


class Connection(Model):
    __tablename__ = "connection"
    __table_args__ = (
        UniqueConstraint("distributor_id", "principal_id", name="uq_connection_pair"),
        CheckConstraint("distributor_id <> principal_id", name="ck_connection_two_sides"),
    )

    id = Column(Integer, primary_key=True)
    distributor_id = Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    distributor = relationship("Organization", foreign_keys=[distributor_id])
    principal_id = Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    principal = relationship("Organization", foreign_keys=[principal_id])
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self):
        state = "active" if self.active else "inactive"
        return f"{self.distributor.code} -> {self.principal.code} ({state})"
