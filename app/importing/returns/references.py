"""References to master data (partners, customers, items, units, return types) and the
plain values of a return (booleans, statuses, whole numbers, quantities)."""
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.importing.returns.elements import (
    FALSE_WORDS,
    FILE_STATUSES,
    KEY_ELEMENTS,
    QUANTITY_ELEMENTS,
    TRUE_WORDS,
    Found,
    Log,
    first,
    read_elements,
)
from app.importing.returns.reading import Node
from app.models import Customer, Partner, Product, ReturnType, UnitOfMeasure
from app.models.returns import ReturnStatus

T = TypeVar("T")


class Masters:
    """The master data of the organization, loaded once per import."""

    def __init__(self, session: Session, org_id: int):
        def keyed(model, key):
            rows = session.execute(select(getattr(model, key), model.id, model.guid)
                                   .where(model.organization_id == org_id)).all()
            return {k: i for k, i, _ in rows}, {g: i for _, i, g in rows}
        self.partners, self.partner_guids = keyed(Partner, "number")
        self.units, self.unit_guids = keyed(UnitOfMeasure, "code")
        self.types, self.type_guids = keyed(ReturnType, "code")
        self.customers = dict(session.execute(select(Customer.code, Customer.id)
                                              .where(Customer.organization_id == org_id)).all())
        self.items = {code: (pid, unit) for code, pid, unit in session.execute(
            select(Product.code, Product.id, Product.unit)
            .where(Product.organization_id == org_id)).all()}


class ReferenceRules:
    """Resolving a return's references and values; errors go to the return's Log."""

    def reference(self, node: Node, path: str, log: Log, what: str) -> tuple[str, str] | None:
        """(kind, value) of a relation element: kind "key" (number or code) or "guid"."""
        if not node.children:
            if node.text:
                return "key", node.text
        ref = None
        for child in node.children:
            kind = KEY_ELEMENTS.get(child.name)
            if kind is None:
                log.warning(f"{path}/{child.name}", child.name, None, "unknown_element",
                            f"Unknown element <{child.name}> ignored.")
                continue
            if child.text:
                ref = (kind, child.text)
        if ref is None:
            log.error(path, node.name, None, "required",
                      f"{what} needs a <number>, <code> or <guid>.")
        return ref

    def resolve(self, node: Node, path: str, log: Log, what: str, by_key: dict,
                by_guid: dict | None = None, reason: str = "unknown") -> Any:
        ref = self.reference(node, path, log, what)
        if ref is None:
            return None
        kind, value = ref
        if kind == "guid":
            if by_guid is None:
                log.error(path, node.name, value, reason,
                          f"{what} is referenced by its number, not by guid: {value}.")
                return None
            found = by_guid.get(value)
        else:
            found = by_key.get(value)
        if found is None:
            log.error(path, node.name, value, reason, f"Unknown {what.lower()} {value}.")
        return found

    def partner(self, node: Node, path: str, log: Log) -> int | None:
        return self.resolve(node, path, log, "Sales organization", self.masters.partners,
                            self.masters.partner_guids, "unknown_partner")

    def customer(self, node: Node, path: str, log: Log) -> int | None:
        return self.resolve(node, path, log, "Customer", self.masters.customers, None,
                            "unknown_customer")

    def item(self, node: Node, path: str, log: Log) -> tuple[int, str | None] | None:
        found = self.resolve(node, path, log, "Item", self.masters.items, None, "unknown_item")
        return found

    def unit(self, node: Node, path: str, log: Log) -> int | None:
        return self.resolve(node, path, log, "Unit", self.masters.units,
                            self.masters.unit_guids, "unknown_unit")

    def return_type(self, node: Node, path: str, log: Log) -> int | None:
        return self.resolve(node, path, log, "Return type", self.masters.types,
                            self.masters.type_guids, "unknown_type")

    # --- values ----------------------------------------------------------------------------

    @staticmethod
    def boolean(node: Node, path: str, log: Log) -> bool | None:
        value = node.text.lower()
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        log.error(path, node.name, node.text, "invalid_value",
                  f"<{node.name}> must be true or false, not '{node.text}'.")
        return None

    @staticmethod
    def status(node: Node, path: str, log: Log) -> ReturnStatus | None:
        status = FILE_STATUSES.get(node.text.lower().replace(" ", "_"))
        if status is None:
            log.error(path, node.name, node.text, "invalid_status",
                      f"Status '{node.text}' is not one of released, blocked, in_preparation.")
        return status

    @staticmethod
    def integer(node: Node, path: str, log: Log, what: str) -> int | None:
        if re.fullmatch(r"\d{1,9}", node.text or ""):
            return int(node.text)
        log.error(path, node.name, node.text, "invalid_number",
                  f"{what} '{node.text}' is not a whole number.")
        return None

    @staticmethod
    def given(found: Found, name: str, read: Callable[..., T], log: Log,
              *args: Any) -> T | None:
        """read(node, path, log, *args) of an optional element; None when it is absent."""
        node, path = first(found, name)
        return None if node is None else read(node, path, log, *args)

    def given_integer(self, found: Found, name: str, log: Log,
                      what: str) -> tuple[int | None, bool]:
        """(number, ok) of an optional whole-number element: (None, True) when absent;
        ok is False when it is given but not a whole number (logged)."""
        node, path = first(found, name)
        if node is None:
            return None, True
        number = self.integer(node, path, log, what)
        return number, number is not None

    def quantity(self, node: Node, path: str, log: Log,
                 item_unit: str | None = None) -> tuple[Decimal, int] | None:
        """(amount, uom id) of a totalQuantity element; None on error."""
        found = read_elements(node, QUANTITY_ELEMENTS, path, log)
        amount_node, amount_path = first(found, "amount")
        if amount_node is None or not amount_node.text:
            log.error(f"{path}/amount", "amount", None, "required",
                      "The quantity needs an <amount>.")
            return None
        try:
            amount = Decimal(amount_node.text)
            if not amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            log.error(amount_path, "amount", amount_node.text, "invalid_number",
                      f"Quantity '{amount_node.text}' is not a number.")
            return None
        if amount <= 0:
            log.error(amount_path, "amount", amount_node.text, "not_positive",
                      f"Quantity {amount_node.text} must be greater than zero.")
            return None
        if amount != amount.quantize(Decimal("0.001")):
            log.error(amount_path, "amount", amount_node.text, "too_many_decimals",
                      f"Quantity {amount_node.text} has more than 3 decimals.")
            return None
        uom_node, uom_path = first(found, "uom")
        if uom_node is not None:
            uom = self.unit(uom_node, uom_path, log)
        elif item_unit is not None and item_unit in self.masters.units:
            uom = self.masters.units[item_unit]
        else:
            log.error(f"{path}/uom", "uom", None, "required",
                      "The quantity needs a unit (<uom>): the item has no unit of measure "
                      "to default to.")
            return None
        return None if uom is None else (amount, uom)
