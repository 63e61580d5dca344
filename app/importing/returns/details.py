"""Details and sub-details: added, updated, deleted (action="delete"), numbered."""
from app.importing.returns.bulk import NewDetail, NewSubDetail
from app.importing.returns.elements import (
    DETAIL_ELEMENTS,
    SUB_DETAIL_ELEMENTS,
    Found,
    Log,
    Op,
    first,
    given_text,
    new_guid,
    read_elements,
)
from app.importing.returns.reading import Node
from app.models import CustomerReturnDetail, CustomerReturnSubDetail
from app.models.returns import ReturnStatus


class DetailRules:
    """Planning a return's details and sub-details."""

    def plan_details(self, found: Found, base: str, log: Log, ops: list[Op]) -> None:
        planned_numbers = set()
        for node, path in found.get("Details", ()):
            self.plan_detail(node, path, log, ops, planned_numbers)

    def plan_detail(self, node: Node, path: str, log: Log, ops: list[Op],
                    planned_numbers: set) -> None:
        ret = self.stored
        details = list(ret.details) if ret is not None else []
        found = read_elements(node, DETAIL_ELEMENTS, path, log)
        _, guid_path = first(found, "guid")
        guid = given_text(found, "guid")
        number, ok = self.given_integer(found, "number", log, "Detail number")
        if not ok:
            return
        detail = None
        if guid:
            detail = next((d for d in details if d.guid == guid), None)
            if detail is None:
                if number is None:
                    log.error(guid_path, "guid", guid, "unknown_guid",
                              f"No detail with guid {guid} in this customer return.")
                    return
                if any(d.number == number for d in details):
                    log.error(guid_path, "guid", guid, "guid_mismatch",
                              f"Detail {number} has another guid than {guid}.")
                    return
        elif number is not None:
            detail = next((d for d in details if d.number == number), None)
        key = number if number is not None else guid
        if key is not None:
            if key in planned_numbers:
                log.error(path, "number", str(key), "duplicate_detail",
                          f"Detail {key} is given twice in this customer return.")
                return
            planned_numbers.add(key)
        values = {name for name in found if name not in ("guid", "number")}

        action = node.attrib.get("action")
        if action is not None and action != "delete":
            log.error(path, "action", action, "invalid_value",
                      f"action=\"{action}\" is not known: the only action is \"delete\".")
            return
        if action == "delete":
            if detail is None:
                log.error(path, "action", "delete", "unknown_detail",
                          f"There is no detail {key} to delete.")
                return

            def delete_detail(state, detail=detail):
                state["ret"].details.remove(detail)
                self.session.delete(detail)
                self.session.flush()
            log.info(path, "action", "delete", "deleted", f"Detail {detail.number} is deleted.")
            ops.append(delete_detail)
            return

        canceled_node, canceled_path = first(found, "canceled")
        canceled = self.boolean(canceled_node, canceled_path, log) \
            if canceled_node is not None else None
        if detail is not None and detail.canceled:
            if values:
                log.info(path, None, None, "ignored",
                         f"Detail {detail.number} is cancelled: the values given for it are "
                         "ignored.")
            return
        if detail is not None and canceled:
            if detail.created_import_id == self.import_id:
                log.error(canceled_path, "canceled", "true", "create_and_cancel",
                          f"Detail {detail.number} was created by this import: it cannot be "
                          "cancelled in the same import. Cancel it with a second import.")
                return
            if values - {"canceled"}:
                log.info(path, None, None, "ignored",
                         f"Detail {detail.number} is cancelled: the other values given for "
                         "it are ignored.")

            def cancel(state, detail=detail):
                detail.canceled = True
                self.session.flush()
            ops.append(cancel)
            return
        if detail is None and canceled:
            log.error(canceled_path, "canceled", "true", "create_and_cancel",
                      "A detail cannot be created and cancelled in the same import: import "
                      "it first, then cancel it with a second import.")
            return

        item = self.given(found, "item", self.item, log)
        self._required_to_create(detail, found, "item", "item", path, log)
        quantity = None
        if "totalQuantity" in found:
            unit = item[1] if item else (detail.item.unit if detail is not None else None)
            quantity = self.given(found, "totalQuantity", self.quantity, log, unit)
        self._required_to_create(detail, found, "totalQuantity", "quantity", path, log)
        status = None
        status_node, status_path = first(found, "status")
        if status_node is not None:
            status = self.status(status_node, status_path, log)
            if status is not None and ret is not None and ret.status == ReturnStatus.blocked:
                log.info(status_path, "status", status_node.text, "ignored",
                         "The customer return is blocked: the status of its details is "
                         "ignored.")
                status = None
        if log.errors:
            return
        holder = {"detail": detail}

        def write_detail(state):
            current = holder["detail"]
            if current is None:
                parent = state["ret"]
                numbers = [d.number for d in parent.details]
                new = NewDetail if state.get("bulk") else CustomerReturnDetail
                current = new(
                    guid=guid or new_guid(),
                    number=number if number is not None else (max(numbers, default=0) // 10
                                                              + 1) * 10,
                    status=status or parent.type.opening_status, canceled=False,
                    created_import_id=self.import_id)
                current.sub_details  # noqa: B018 - touched while empty: nothing to load later
                parent.details.append(current)
                holder["detail"] = current
            _set_item_and_quantity(current, item, quantity)
            if status:
                current.status = status
        ops.append(write_detail)
        self.plan_texts(found, path, log, ops, detail_key=holder)
        for sub_node, sub_path in found.get("SubDetails", ()):
            self.plan_sub_detail(sub_node, sub_path, log, ops, holder)

    @staticmethod
    def _required_to_create(detail, found, name, label, path, log):
        if detail is None and name not in found:
            log.error(f"{path}/{name}", name, None, "required",
                      f"The {label} (<{name}>) is required to create a detail.")

    def plan_sub_detail(self, node: Node, path: str, log: Log, ops: list[Op],
                        holder: dict) -> None:
        found = read_elements(node, SUB_DETAIL_ELEMENTS, path, log)
        guid = given_text(found, "guid")
        sub_number, ok = self.given_integer(found, "subNumber", log, "Sub-detail number")
        if not ok:
            return
        existing = holder["detail"].sub_details if holder["detail"] is not None else []
        sub = None
        if guid:
            sub = next((s for s in existing if s.guid == guid), None)
            if sub is None and sub_number is None:
                log.error(path, "guid", guid, "unknown_guid",
                          f"No sub-detail with guid {guid} in this detail.")
                return
        if sub is None and sub_number is not None:
            sub = next((s for s in existing if s.sub_number == sub_number), None)
        item = self.given(found, "item", self.item, log)
        quantity = self.given(found, "totalQuantity", self.quantity, log,
                              item[1] if item else None)
        if log.errors:
            return
        sub_holder = {"sub": sub}

        def write_sub(state):
            current = sub_holder["sub"]
            detail = holder["detail"]
            if current is None:
                numbers = [s.sub_number for s in detail.sub_details]
                sub_number_ = sub_number if sub_number is not None \
                    else max(numbers, default=0) + 1
                if state.get("bulk"):
                    current = NewSubDetail(guid=guid or new_guid(), sub_number=sub_number_)
                else:
                    current = CustomerReturnSubDetail(
                        guid=guid or new_guid(), return_id=state["ret"].id,
                        sub_number=sub_number_)
                detail.sub_details.append(current)
                sub_holder["sub"] = current
            _set_item_and_quantity(current, item, quantity)
        ops.append(write_sub)
        self.plan_texts(found, path, log, ops, detail_key=holder, sub_key=sub_holder)


def _set_item_and_quantity(row, item, quantity):
    """A (sub-)detail's item (id, unit) and quantity (amount, unit id), where given."""
    if item:
        row.item_id = item[0]
    if quantity:
        row.quantity, row.uom_id = quantity
