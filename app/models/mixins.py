"""Column groups that several models declare alike, each declared once here: a model takes
one by deriving from its mixin. Foreign keys and relationships are `declared_attr`, so every
model gets its own copy."""
import enum

from sqlalchemy import Column, ForeignKey, Integer, Numeric
from sqlalchemy.orm import declared_attr, relationship


class ValueEnum(str, enum.Enum):
    """A string enum shown as its value."""

    def __str__(self):
        return self.value


class WordedEnum(ValueEnum):
    """A string enum whose members carry the words people read beside their value:
    `realtime = "realtime", "Synchronize real time"`."""

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class IntegrationOwned:
    """Mixin: a row that belongs to one integration (deleted with it)."""
    # Its own index on integration_id, unless a unique key or index starting with it serves.
    __integration_index__ = False

    @declared_attr
    def integration_id(cls):
        return Column(Integer, ForeignKey("integration.id", ondelete="CASCADE"),
                      nullable=False, index=cls.__integration_index__ or None)

    @declared_attr
    def integration(cls):
        return relationship("Integration")


def reference(table, ondelete, **options):
    """A mixin's foreign key to `table`.id: a column of its own in every model."""
    return declared_attr(lambda cls: Column(Integer, ForeignKey(f"{table}.id", ondelete=ondelete),
                                            **options))


def related(model, **options):
    """A mixin's relationship to `model`: one of its own in every model."""
    return declared_attr(lambda cls: relationship(model, **options))


class ProductLine:
    """Mixin: a document line of one product, with its quantity and amount; the line's
    price column (unit_price, unit_cost) is the model's own."""
    id = Column(Integer, primary_key=True)
    line_no = Column(Integer, nullable=False)
    quantity = Column(Numeric(18, 3), nullable=False)
    amount = Column(Numeric(18, 3), nullable=False)
    product_id = reference("product", "RESTRICT", nullable=False)
    product = related("Product")


class InvoiceLine(ProductLine):
    """Mixin: a line of the invoice its `__tenant_parent__` names (invoice_id)."""

    @declared_attr
    def invoice_id(cls):
        return Column(Integer, ForeignKey(f"{cls.__tenant_parent__[1].__tablename__}.id",
                                          ondelete="CASCADE"), nullable=False, index=True)

    @declared_attr
    def invoice(cls):
        return relationship(cls.__tenant_parent__[1], back_populates="lines")
