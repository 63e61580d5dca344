"""The return's header: found by guid or type + number, created or updated, numbered."""
import datetime as dt
import re

from sqlalchemy import select

from app.importing.returns.bulk import NewReturn
from app.importing.returns.elements import (
    CUSTOMER_ELEMENTS,
    HEADER_ELEMENTS,
    PARTNER_ELEMENTS,
    Found,
    Log,
    Op,
    first,
    given_text,
    inner,
    new_guid,
    read_elements,
    type_node_text,
)
from app.importing.returns.reading import Node
from app.models import (
    CustomerReturn,
    ReturnType,
)
from app.models.returns import ReturnStatus
from app.models.tasks import utcnow

NUMBERS_AHEAD = 1000  # candidate numbers checked against the stored ones in one query


class HeaderRules:
    """Finding, creating and updating the return's header, and its number."""

    def find_return(self, guid: str | None, type_id: int | None,
                    number: str | None) -> CustomerReturn | None:
        """The stored return by guid or type + number: one created earlier in this batch
        (written at the batch's end: flushed now, as updating it reads the database), one
        of the batch's prefetched returns, or (not prefetched) one query."""
        created = self.created_guids.get(guid) if guid else \
            self.created_numbers.get((type_id, number))
        if created is not None:  # it is read as stored: written now (imaged as created)
            self.write_new()
            self.session.flush()
            return self.session.get(CustomerReturn, created.id)
        key = ("guid", guid) if guid else ("number", type_id, number)
        if key in self.prefetched:
            return self.prefetched[key]
        query = select(CustomerReturn).where(CustomerReturn.organization_id == self.org_id)
        if guid:
            return self.session.execute(query.where(CustomerReturn.guid == guid)).scalar()
        return self.session.execute(query.where(CustomerReturn.type_id == type_id,
                                                CustomerReturn.number == number)).scalar()

    def plan(self, node: Node, base: str, log: Log, ops: list[Op]) -> bool:
        found = read_elements(node, HEADER_ELEMENTS, base, log)
        guid_node, guid_path = first(found, "guid")
        number_node, number_path = first(found, "number")
        type_node, type_path = first(found, "type")
        guid, number = given_text(found, "guid"), given_text(found, "number")
        log.document = (number or guid or "")[:100] or None
        if number and len(number) > 40:
            log.error(number_path, "number", number, "too_long",
                      "The number has more than 40 characters.")
            number = None
        type_id = self.return_type(type_node, type_path, log) if type_node is not None else None
        auto_node, auto_path = first(found, "autoRelease")
        auto_release = self.boolean(auto_node, auto_path, log) if auto_node is not None else False

        existing = None
        if guid:
            existing = self.find_return(guid, None, None)
            if existing is None and not (type_id and number):
                log.error(guid_path, "guid", guid, "unknown_guid",
                          f"No customer return with guid {guid}.")
                return auto_release
            if existing is None:
                other = self.find_return(None, type_id, number)
                if other is not None:
                    log.error(guid_path, "guid", guid, "guid_mismatch",
                              f"Customer return {type_node_text(type_node)} {number} has "
                              f"guid {other.guid}, not {guid}.")
                    return auto_release
        elif type_id and number:
            existing = self.find_return(None, type_id, number)
        elif type_node is not None and type_id is None:
            return auto_release
        if existing is None and log.errors:
            return auto_release
        self.stored = existing

        if existing is not None:
            self.plan_update(existing, found, base, log, ops, number, number_path, type_id,
                             type_path)
        else:
            self.plan_create(found, base, log, ops, guid, number, type_id, type_node,
                             auto_release)
        if log.errors:
            return auto_release
        self.plan_details(found, base, log, ops)
        self.plan_texts(found, base, log, ops, detail_key=None)
        self.plan_status(found, base, log, ops, auto_release)
        return auto_release

    def plan_create(self, found: Found, base: str, log: Log, ops: list[Op], guid: str | None,
                    number: str | None, type_id: int | None, type_node: Node | None,
                    auto_release: bool = False) -> None:
        if type_node is None:
            log.error(f"{base}/type", "type", None, "required",
                      "The return type (<type>) is required to create a customer return.")
        partner_id = None
        partner_node, partner_path = inner(found, "invoicingPartyData", PARTNER_ELEMENTS,
                                           "partner", log)
        if partner_node is not None:
            partner_id = self.partner(partner_node, partner_path, log)
        if partner_node is None:
            partners = list(self.masters.partners.values())
            if len(partners) == 1:
                partner_id = partners[0]
            else:
                log.error(f"{base}/invoicingPartyData/partner", "partner", None, "required",
                          "The sales organization (invoicingPartyData.partner) is required: "
                          f"{self.org_code} has {len(partners) or 'no'} sales organizations.")
        customer_id = self.plan_customer(found, base, log, required=True)
        date = self.plan_date(found, log)
        if log.errors:
            return

        def create(state):
            ret_type = self.return_types.get(type_id)
            if ret_type is None:
                ret_type = self.return_types[type_id] = self.session.get(ReturnType, type_id)
            values = dict(organization_id=self.org_id, guid=guid or new_guid(),
                          type_id=type_id, partner_id=partner_id, customer_id=customer_id,
                          date=date or utcnow().date(), status=ReturnStatus.invalid,
                          import_id=self.import_id, principal_id=self.principal_id,
                          number=self.number_for(ret_type, number, base, log))
            if auto_release or self.checking:
                # Written now, as Invalid, until it is released (seed 004); a check
                # writes inside its savepoint, rolled back.
                ret = CustomerReturn(**values)
                ret.details  # noqa: B018 - empty now: nothing loaded after the flush
                self.session.add(ret)
                self.session.flush()
            else:
                # Planned as plain rows, written with the batch's other new returns.
                ret = NewReturn(type=ret_type, **values)
                self.new_returns.returns.append(ret)
            self.created_guids[ret.guid] = ret
            self.created_numbers[(type_id, ret.number)] = ret
            state.update(ret=ret, previous=ret_type.opening_status, created=True,
                         bulk=not (auto_release or self.checking))
        ops.append(create)

    def plan_customer(self, found: Found, base: str, log: Log, required: bool) -> int | None:
        customer_node, customer_path = inner(found, "customerData", CUSTOMER_ELEMENTS,
                                             "customer", log)
        if customer_node is not None:
            return self.customer(customer_node, customer_path, log)
        if required:
            log.error(f"{base}/customerData/customer", "customer", None, "required",
                      "The customer (customerData.customer) is required to create a "
                      "customer return.")
        return None

    def plan_date(self, found: Found, log: Log) -> dt.date | None:
        node, path = first(found, "date")
        if node is None or not node.text:
            return None
        try:
            return dt.date.fromisoformat(node.text[:10])
        except ValueError:
            log.error(path, "date", node.text, "invalid_date",
                      f"Date '{node.text}' is not a valid date in the format YYYY-MM-DD.")
            return None

    def number_for(self, ret_type: ReturnType, number: str | None, base: str, log: Log) -> str:
        """The imported number, or the next free one of the type's number range."""
        prefix, width = ret_type.number_prefix or "", ret_type.number_width or 1
        if number:
            match = re.fullmatch(re.escape(prefix) + r"(\d+)", number)
            if match and int(match.group(1)) >= ret_type.next_number:
                ret_type.next_number = int(match.group(1)) + 1
                log.info(f"{base}/number", "number", number, "number_range",
                         f"Number {number} lies in the number range of type {ret_type.code}: "
                         f"the range continues at {prefix}{ret_type.next_number:0{width}d}, "
                         "so it is never assigned again.")
            return number
        next_number = ret_type.next_number  # a plain int in the loop, the ORM's once after
        while True:
            candidate = f"{prefix}{next_number:0{width}d}"
            taken = self.taken_numbers(ret_type, candidate, next_number)
            next_number += 1
            if candidate not in taken and (ret_type.id, candidate) not in self.created_numbers:
                ret_type.next_number = next_number
                return candidate

    def taken_numbers(self, ret_type: ReturnType, candidate: str,
                      candidate_number: int) -> set[str]:
        """The stored numbers among the type's next NUMBERS_AHEAD candidates: one query
        per window of the number range, not one per return."""
        window = self.number_windows.get(ret_type.id)
        if window is None or candidate not in window[0]:
            prefix, width = ret_type.number_prefix or "", ret_type.number_width or 1
            ahead = [f"{prefix}{n:0{width}d}"
                     for n in range(candidate_number, candidate_number + NUMBERS_AHEAD)]
            taken = set(self.session.execute(select(CustomerReturn.number).where(
                CustomerReturn.organization_id == self.org_id,
                CustomerReturn.type_id == ret_type.id,
                CustomerReturn.number.in_(ahead))).scalars())
            window = self.number_windows[ret_type.id] = (set(ahead), taken)
        return window[1]

    def plan_update(self, ret: CustomerReturn, found: Found, base: str, log: Log, ops: list[Op],
                    number: str | None, number_path: str | None, type_id: int | None,
                    type_path: str | None) -> None:
        label = f"{ret.type.code} {ret.number}"
        if ret.control_lock:
            log.error(base, None, label, "control_lock",
                      f"Customer return {label} has a control lock"
                      + (f" ({ret.control_lock_reason})" if ret.control_lock_reason else "")
                      + ": changes are refused.")
            return
        if number and number != ret.number:
            log.info(number_path, "number", number, "ignored",
                     f"The number of customer return {label} cannot change: {number} is "
                     "ignored.")
        if type_id and type_id != ret.type_id:
            log.info(type_path, "type", None, "ignored",
                     f"The type of customer return {label} cannot change: the type in the "
                     "file is ignored.")
        partner_node, partner_path = inner(found, "invoicingPartyData", PARTNER_ELEMENTS,
                                           "partner", log)
        if partner_node is not None:
            ref = self.reference(partner_node, partner_path, log, "Sales organization")
            stored = ret.partner
            if ref and ref[1] not in (stored.number, stored.guid):
                log.info(partner_path, "partner", ref[1], "ignored",
                         f"The sales organization is taken from the stored customer "
                         f"return ({stored.number}); {ref[1]} in the file is ignored.")
        customer_id = self.plan_customer(found, base, log, required=False)
        date = self.plan_date(found, log)
        if customer_id and customer_id != ret.customer_id and ret.details:
            log.info(f"{base}/customerData/customer", "customer", None, "ignored",
                     f"The customer of customer return {label} cannot change while it has "
                     "details: the customer in the file is ignored.")
            customer_id = None
        if log.errors:
            return

        def update_header(state):
            state.update(ret=ret, previous=ret.status, created=False)
            ret.status = ReturnStatus.invalid
            ret.import_id, ret.principal_id = self.import_id, self.principal_id
            if customer_id:
                ret.customer_id = customer_id
            if date:
                ret.date = date
            self.session.flush()
        ops.append(update_header)
