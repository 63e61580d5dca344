"""The rules of importing customer returns (seed 004, RET-1), and their writer.

One return at a time, in two steps: `plan` reads the return's elements, resolves every
reference and checks every rule, collecting the messages (info, warning, error) with the
element path; only when the return has no error does `apply` write it. So a return with
an error is not written at all (the stored return, if any, stays as it was) and counts as
rejected; a return with warnings or infos only counts as accepted. rows = returns read =
accepted + rejected.

Decisions where the seed is silent (README "Customer returns"):
- A detail is deleted with the attribute action="delete" on its Details element, found by
  its guid or number: `<Details action="delete"><number>20</number></Details>`.
- Numbers: an imported number is kept; when it lies in the type's number range at or past
  the next number, the range moves past it, so it is never assigned again. A return
  without a number gets prefix + next number of the type's range.
- A guid that matches nothing is an error, unless the functional key (type + number for a
  return, number for a detail) is given too and matches nothing either: then the return
  (detail) is created with that guid, so that an exported file re-imports with its ids.
- Header status: applies only when the return has no details after the import; with
  details the header status follows them (all active details in one status: that status;
  mixed: in preparation).
- Detail numbers are optional: a new detail without one gets the highest number + 10.
- autoRelease: the header is written with status Invalid first; the return is released
  (header and active details) when its import had no error, else it is not written and
  a warning says it was not released.
"""
import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, insert, select, update

from app.importing.readers import FileRejected
from app.importing.returns_xml import NAMESPACE, open_returns
from app.models import (Customer, CustomerReturn, CustomerReturnDetail,
                        CustomerReturnSubDetail, ImportFile, ImportRejection, Organization,
                        Partner, Product, ReturnInfoText, ReturnTextAssignment,
                        ReturnTextAssignmentText, ReturnType, UnitOfMeasure)
from app.models.imports import ImportStatus
from app.models.returns import ReturnStatus
from app.models.tasks import utcnow

RETURNS_MODULE = "customer_returns"
ERROR, WARNING, INFO = "error", "warning", "info"
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no"}
FILE_STATUSES = {"in_preparation": ReturnStatus.in_preparation,
                 "inpreparation": ReturnStatus.in_preparation,
                 "released": ReturnStatus.released, "blocked": ReturnStatus.blocked}

# Element names as the seed writes them: a relation by its attribute or relation name.
KEY_ELEMENTS = {"number": "key", "numer": "key", "code": "key", "guid": "guid"}
HEADER_ELEMENTS = {
    "guid": "guid", "number": "number", "numer": "number", "type": "type", "Type": "type",
    "invoicingPartyData": "invoicingPartyData", "customerData": "customerData",
    "date": "date", "status": "status", "autoRelease": "autoRelease",
    "InfoTexts": "InfoTexts", "TextAssignments": "TextAssignments", "Details": "Details",
}
PARTNER_ELEMENTS = {"partner": "partner", "Partner": "partner"}
CUSTOMER_ELEMENTS = {"customer": "customer", "CustomerPartner": "customer"}
DETAIL_ELEMENTS = {
    "guid": "guid", "number": "number", "numer": "number", "item": "item", "Item": "item",
    "totalQuantity": "totalQuantity", "canceled": "canceled", "status": "status",
    "InfoTexts": "InfoTexts", "TextAssignments": "TextAssignments",
    "SubDetails": "SubDetails",
}
SUB_DETAIL_ELEMENTS = {
    "guid": "guid", "subNumber": "subNumber", "item": "item", "Item": "item",
    "totalQuantity": "totalQuantity", "InfoTexts": "InfoTexts",
    "TextAssignments": "TextAssignments",
}
QUANTITY_ELEMENTS = {"amount": "amount", "uom": "uom", "Uom": "uom"}
INFO_TEXT_ELEMENTS = {"language": "language", "text": "text", "contentType": "contentType"}
ASSIGNMENT_ELEMENTS = {"number": "number", "numer": "number", "type": "type", "code": "code",
                       "document": "document", "text": "text"}
SINGLE = {"InfoTexts", "TextAssignments", "Details", "SubDetails", "text"}


class Log:
    """The messages of one return: its position in the file is the log's row."""

    def __init__(self, position):
        self.position = position
        self.lines = []
        self.errors = 0

    def add(self, severity, path, field, value, reason, message):
        self.lines.append((severity, path, field, value, reason, message))
        if severity == ERROR:
            self.errors += 1

    def error(self, path, field, value, reason, message):
        self.add(ERROR, path, field, value, reason, message)

    def warning(self, path, field, value, reason, message):
        self.add(WARNING, path, field, value, reason, message)

    def info(self, path, field, value, reason, message):
        self.add(INFO, path, field, value, reason, message)


def read_elements(node, known, path, log):
    """{canonical name: [(node, path)]} of a node's children; unknown ones: a warning."""
    found = {}
    counts = {}
    for child in node.children:
        counts[child.name] = counts.get(child.name, 0) + 1
        child_path = f"{path}/{child.name}"
        if child.name in SINGLE or child.name in ("Details", "SubDetails"):
            child_path += f"[{counts[child.name]}]"
        name = known.get(child.name)
        if name is None or child.namespace not in (NAMESPACE, ""):
            log.warning(child_path, child.name, None, "unknown_element",
                        f"Unknown element <{child.name}> ignored.")
            continue
        found.setdefault(name, []).append((child, child_path))
    return found


def first(found, name):
    """The node of a single-valued element (the last one when it is repeated)."""
    nodes = found.get(name)
    return nodes[-1] if nodes else (None, None)


def new_guid():
    return str(uuid.uuid4())


class Masters:
    """The master data of the organization, loaded once per import."""

    def __init__(self, session, org_id):
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


class ReturnsImport:
    def __init__(self, session, imp, settings):
        self.session = session
        self.import_id, self.principal_id = imp.id, imp.principal_id
        self.settings = settings
        org = session.get(Organization, imp.organization_id)
        self.org_id, self.org_code = org.id, org.code
        self.masters = Masters(session, self.org_id)
        self.stored = None  # the stored return being planned (None: a new one)

    # --- references ------------------------------------------------------------------------

    def reference(self, node, path, log, what):
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

    def resolve(self, node, path, log, what, by_key, by_guid=None, reason="unknown"):
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

    def partner(self, node, path, log):
        return self.resolve(node, path, log, "Sales organization", self.masters.partners,
                            self.masters.partner_guids, "unknown_partner")

    def customer(self, node, path, log):
        return self.resolve(node, path, log, "Customer", self.masters.customers, None,
                            "unknown_customer")

    def item(self, node, path, log):
        found = self.resolve(node, path, log, "Item", self.masters.items, None, "unknown_item")
        return found

    def unit(self, node, path, log):
        return self.resolve(node, path, log, "Unit", self.masters.units,
                            self.masters.unit_guids, "unknown_unit")

    def return_type(self, node, path, log):
        return self.resolve(node, path, log, "Return type", self.masters.types,
                            self.masters.type_guids, "unknown_type")

    # --- values ----------------------------------------------------------------------------

    @staticmethod
    def boolean(node, path, log):
        value = node.text.lower()
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        log.error(path, node.name, node.text, "invalid_value",
                  f"<{node.name}> must be true or false, not '{node.text}'.")
        return None

    @staticmethod
    def status(node, path, log):
        status = FILE_STATUSES.get(node.text.lower().replace(" ", "_"))
        if status is None:
            log.error(path, node.name, node.text, "invalid_status",
                      f"Status '{node.text}' is not one of released, blocked, in_preparation.")
        return status

    @staticmethod
    def integer(node, path, log, what):
        if re.fullmatch(r"\d{1,9}", node.text or ""):
            return int(node.text)
        log.error(path, node.name, node.text, "invalid_number",
                  f"{what} '{node.text}' is not a whole number.")
        return None

    def quantity(self, node, path, log, item_unit=None):
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

    # --- one return ------------------------------------------------------------------------

    def process(self, position, node):
        """Plan, then (without errors) apply one return; returns its Log."""
        log = Log(position)
        base = f"CustomerReturn[{position}]"
        ops = []
        auto_release = self.plan(node, base, log, ops)
        if log.errors:
            if auto_release:
                log.warning(f"{base}/autoRelease", "autoRelease", "true", "not_released",
                            "The customer return was not released automatically: its "
                            "import had errors.")
            return log
        state = {}
        for op in ops:
            op(state)
        return log

    def find_return(self, guid, type_id, number):
        query = select(CustomerReturn).where(CustomerReturn.organization_id == self.org_id)
        if guid:
            return self.session.execute(query.where(CustomerReturn.guid == guid)).scalar()
        return self.session.execute(query.where(CustomerReturn.type_id == type_id,
                                                CustomerReturn.number == number)).scalar()

    def plan(self, node, base, log, ops):
        found = read_elements(node, HEADER_ELEMENTS, base, log)
        guid_node, guid_path = first(found, "guid")
        number_node, number_path = first(found, "number")
        type_node, type_path = first(found, "type")
        guid = guid_node.text if guid_node is not None and guid_node.text else None
        number = number_node.text if number_node is not None and number_node.text else None
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
            self.plan_create(found, base, log, ops, guid, number, type_id, type_node)
        if log.errors:
            return auto_release
        self.plan_details(found, base, log, ops)
        self.plan_texts(found, base, log, ops, detail_key=None)
        self.plan_status(found, base, log, ops, auto_release)
        return auto_release

    def plan_create(self, found, base, log, ops, guid, number, type_id, type_node):
        if type_node is None:
            log.error(f"{base}/type", "type", None, "required",
                      "The return type (<type>) is required to create a customer return.")
        partner_id = None
        party_node, party_path = first(found, "invoicingPartyData")
        partner_node = None
        if party_node is not None:
            party = read_elements(party_node, PARTNER_ELEMENTS, party_path, log)
            partner_node, partner_path = first(party, "partner")
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
            ret_type = self.session.get(ReturnType, type_id)
            ret = CustomerReturn(organization_id=self.org_id, guid=guid or new_guid(),
                                 type_id=type_id, partner_id=partner_id,
                                 customer_id=customer_id,
                                 date=date or utcnow().date(),
                                 status=ReturnStatus.invalid, import_id=self.import_id,
                                 principal_id=self.principal_id,
                                 number=self.number_for(ret_type, number, base, log))
            ret.details  # an empty collection now, so nothing is loaded after the flush
            self.session.add(ret)
            self.session.flush()
            state.update(ret=ret, previous=ret_type.opening_status, created=True)
        ops.append(create)

    def plan_customer(self, found, base, log, required):
        data_node, data_path = first(found, "customerData")
        customer_node = None
        if data_node is not None:
            data = read_elements(data_node, CUSTOMER_ELEMENTS, data_path, log)
            customer_node, customer_path = first(data, "customer")
            if customer_node is not None:
                return self.customer(customer_node, customer_path, log)
        if required:
            log.error(f"{base}/customerData/customer", "customer", None, "required",
                      "The customer (customerData.customer) is required to create a "
                      "customer return.")
        return None

    def plan_date(self, found, log):
        node, path = first(found, "date")
        if node is None or not node.text:
            return None
        try:
            return dt.date.fromisoformat(node.text[:10])
        except ValueError:
            log.error(path, "date", node.text, "invalid_date",
                      f"Date '{node.text}' is not a valid date in the format YYYY-MM-DD.")
            return None

    def number_for(self, ret_type, number, base, log):
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
        while True:
            candidate = f"{prefix}{ret_type.next_number:0{width}d}"
            ret_type.next_number += 1
            taken = self.session.execute(select(CustomerReturn.id).where(
                CustomerReturn.organization_id == self.org_id,
                CustomerReturn.type_id == ret_type.id,
                CustomerReturn.number == candidate)).first()
            if not taken:
                return candidate

    def plan_update(self, ret, found, base, log, ops, number, number_path, type_id, type_path):
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
        party_node, party_path = first(found, "invoicingPartyData")
        if party_node is not None:
            party = read_elements(party_node, PARTNER_ELEMENTS, party_path, log)
            partner_node, partner_path = first(party, "partner")
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

    # --- details ---------------------------------------------------------------------------

    def plan_details(self, found, base, log, ops):
        planned_numbers = set()
        for node, path in found.get("Details", ()):
            self.plan_detail(node, path, log, ops, planned_numbers)

    def plan_detail(self, node, path, log, ops, planned_numbers):
        ret = self.stored
        details = list(ret.details) if ret is not None else []
        found = read_elements(node, DETAIL_ELEMENTS, path, log)
        guid_node, guid_path = first(found, "guid")
        number_node, number_path = first(found, "number")
        guid = guid_node.text if guid_node is not None and guid_node.text else None
        number = None
        if number_node is not None:
            number = self.integer(number_node, number_path, log, "Detail number")
            if number is None:
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

        item = None
        item_node, item_path = first(found, "item")
        if item_node is not None:
            item = self.item(item_node, item_path, log)
        elif detail is None:
            log.error(f"{path}/item", "item", None, "required",
                      "The item (<item>) is required to create a detail.")
        quantity = None
        quantity_node, quantity_path = first(found, "totalQuantity")
        if quantity_node is not None:
            unit = item[1] if item else (detail.item.unit if detail is not None else None)
            quantity = self.quantity(quantity_node, quantity_path, log, unit)
        elif detail is None:
            log.error(f"{path}/totalQuantity", "totalQuantity", None, "required",
                      "The quantity (<totalQuantity>) is required to create a detail.")
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
                current = CustomerReturnDetail(
                    guid=guid or new_guid(),
                    number=number if number is not None else (max(numbers, default=0) // 10
                                                              + 1) * 10,
                    status=status or parent.type.opening_status, canceled=False,
                    created_import_id=self.import_id)
                current.sub_details  # empty: nothing to load later
                parent.details.append(current)
                holder["detail"] = current
            if item:
                current.item_id = item[0]
            if quantity:
                current.quantity, current.uom_id = quantity
            if status:
                current.status = status
        ops.append(write_detail)
        self.plan_texts(found, path, log, ops, detail_key=holder)
        for index, (sub_node, sub_path) in enumerate(found.get("SubDetails", ()), start=1):
            self.plan_sub_detail(sub_node, sub_path, log, ops, holder)

    def plan_sub_detail(self, node, path, log, ops, holder):
        found = read_elements(node, SUB_DETAIL_ELEMENTS, path, log)
        guid_node, _ = first(found, "guid")
        number_node, number_path = first(found, "subNumber")
        guid = guid_node.text if guid_node is not None and guid_node.text else None
        sub_number = None
        if number_node is not None:
            sub_number = self.integer(number_node, number_path, log, "Sub-detail number")
            if sub_number is None:
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
        item = quantity = None
        item_node, item_path = first(found, "item")
        if item_node is not None:
            item = self.item(item_node, item_path, log)
        quantity_node, quantity_path = first(found, "totalQuantity")
        if quantity_node is not None:
            quantity = self.quantity(quantity_node, quantity_path, log, item[1] if item else None)
        if log.errors:
            return
        sub_holder = {"sub": sub}

        def write_sub(state):
            current = sub_holder["sub"]
            detail = holder["detail"]
            if current is None:
                numbers = [s.sub_number for s in detail.sub_details]
                current = CustomerReturnSubDetail(
                    guid=guid or new_guid(), return_id=state["ret"].id,
                    sub_number=sub_number if sub_number is not None else max(numbers, default=0) + 1)
                detail.sub_details.append(current)
                sub_holder["sub"] = current
            if item:
                current.item_id = item[0]
            if quantity:
                current.quantity, current.uom_id = quantity
        ops.append(write_sub)
        self.plan_texts(found, path, log, ops, detail_key=holder, sub_key=sub_holder)

    # --- texts -----------------------------------------------------------------------------

    def plan_texts(self, found, base, log, ops, detail_key, sub_key=None):
        for node, path in found.get("InfoTexts", ()):
            text = self.read_text(node, path, log, INFO_TEXT_ELEMENTS)
            if text is None:
                continue

            def write_info(state, text=text):
                owner = self._owner(state, detail_key, sub_key)
                written = state.setdefault("texts", {})
                row = written.get((owner, text[0]))
                if row is None and not state["created"]:
                    row = self.session.execute(select(ReturnInfoText).where(
                        *self._owner_filter(ReturnInfoText, owner),
                        ReturnInfoText.language == text[0])).scalar()
                if row is None:
                    row = ReturnInfoText(return_id=owner[0], detail_id=owner[1],
                                         sub_detail_id=owner[2], language=text[0])
                    self.session.add(row)
                written[(owner, text[0])] = row
                row.text, row.content_type = text[1], text[2]
                self.session.flush()
            ops.append(write_info)
        seen = set()
        for node, path in found.get("TextAssignments", ()):
            parts = read_elements(node, ASSIGNMENT_ELEMENTS, path, log)
            number_node, number_path = first(parts, "number")
            number = None
            if number_node is not None:
                number = self.integer(number_node, number_path, log, "Text line number")
                if number is None:
                    continue
            if number is not None and number in seen:
                log.warning(number_path, "number", str(number), "duplicate_text_number",
                            f"Text line number {number} is given twice: only one entry is "
                            "kept (the last one).")
            seen.add(number)
            values = {}
            for name in ("type", "code", "document"):
                value_node, _ = first(parts, name)
                values[name] = value_node.text if value_node is not None and value_node.text \
                    else None
            texts = []
            for text_node, text_path in parts.get("text", ()):
                text = self.read_text(text_node, text_path, log, INFO_TEXT_ELEMENTS)
                if text is not None:
                    texts.append(text)
            if values["code"] and texts:
                log.info(path, "text", None, "ignored",
                         f"Text module {values['code']} is given: the texts of the "
                         "assignment are ignored.")
                texts = []

            def write_assignment(state, number=number, values=values, texts=texts):
                owner = self._owner(state, detail_key, sub_key)
                filters = self._owner_filter(ReturnTextAssignment, owner)
                row = None
                if number is not None:
                    row = self.session.execute(select(ReturnTextAssignment).where(
                        *filters, ReturnTextAssignment.number == number)).scalar()
                else:
                    highest = self.session.execute(select(func.max(ReturnTextAssignment.number))
                                                   .where(*filters)).scalar()
                    number = (highest or 0) + 1
                if row is None:
                    row = ReturnTextAssignment(return_id=owner[0], detail_id=owner[1],
                                               sub_detail_id=owner[2], number=number)
                    self.session.add(row)
                row.type, row.code, row.document = values["type"], values["code"], \
                    values["document"]
                by_language = {t.language: t for t in row.texts}
                for language, text, content_type in texts:
                    line = by_language.get(language)
                    if line is None:
                        line = ReturnTextAssignmentText(language=language)
                        row.texts.append(line)
                        by_language[language] = line
                    line.text, line.content_type = text, content_type
                self.session.flush()
            ops.append(write_assignment)

    def read_text(self, node, path, log, known):
        """(language, text, content type) of an InfoTexts or text element."""
        parts = read_elements(node, known, path, log)
        language_node, _ = first(parts, "language")
        text_node, _ = first(parts, "text")
        type_node, _ = first(parts, "contentType")
        if language_node is None or not language_node.text:
            log.error(f"{path}/language", "language", None, "required",
                      "A text needs a <language>.")
            return None
        if text_node is None or not text_node.markup:
            log.error(f"{path}/text", "text", None, "required", "A text needs a <text>.")
            return None
        content_type = type_node.text if type_node is not None and type_node.text \
            else "text/plain"
        return language_node.text[:20], text_node.markup, content_type[:60]

    def _owner(self, state, detail_key, sub_key):
        ret = state["ret"]
        detail = detail_key["detail"] if detail_key else None
        sub = sub_key["sub"] if sub_key else None
        if (detail is not None and detail.id is None) or (sub is not None and sub.id is None):
            self.session.flush()
        return ret.id, detail.id if detail else None, sub.id if sub else None

    @staticmethod
    def _owner_filter(model, owner):
        return [model.return_id == owner[0],
                model.detail_id.is_(None) if owner[1] is None else model.detail_id == owner[1],
                model.sub_detail_id.is_(None) if owner[2] is None
                else model.sub_detail_id == owner[2]]

    # --- status and release ----------------------------------------------------------------

    def plan_status(self, found, base, log, ops, auto_release):
        status_node, status_path = first(found, "status")
        status = self.status(status_node, status_path, log) if status_node is not None else None

        def finish(state):
            ret = state["ret"]
            if ret.details:
                if status is not None:
                    log.info(status_path, "status", status_node.text, "ignored",
                             "The customer return has details: its status follows them, the "
                             "header status is ignored.")
                active = {d.status for d in ret.details if not d.canceled}
                if len(active) == 1:
                    final = active.pop()
                elif active:
                    final = ReturnStatus.in_preparation
                else:
                    final = state["previous"]
            else:
                final = status or state["previous"]
            if auto_release:
                final = ReturnStatus.released
                for detail in ret.details:
                    if not detail.canceled:
                        detail.status = ReturnStatus.released
                log.info(f"{base}/autoRelease", "autoRelease", "true", "released",
                         f"Customer return {ret.type.code} {ret.number} was released "
                         "automatically after an error-free import.")
            if final == ReturnStatus.invalid:
                final = ReturnStatus.in_preparation
            ret.status = final
            self.session.flush()
        ops.append(finish)


def type_node_text(node):
    if node is None:
        return ""
    if node.children:
        return next((c.text for c in node.children if c.text), "")
    return node.text


# --- the job -----------------------------------------------------------------------------

def _log_rows(job, position, lines):
    return [{"import_id": job["id"], "organization_id": job["org"], "module": job["module"],
             "row": position, "column": path[:100], "field": (field or "")[:60] or None,
             "value": None if value is None else str(value)[:1000], "reason": reason,
             "message": message, "original": None, "resolved": severity != ERROR,
             "severity": severity}
            for severity, path, field, value, reason, message in lines]


def _flush(session, job, rows, accepted, rejected, log_rows, settings):
    if settings.on_batch:
        settings.on_batch(session)
    if log_rows:
        session.execute(insert(ImportRejection), log_rows)
    session.execute(update(ImportFile).where(ImportFile.id == job["id"]).values(
        rows_done=ImportFile.rows_done + rows, accepted=ImportFile.accepted + accepted,
        rejected=ImportFile.rejected + rejected))
    session.commit()


def check_xml_head(path):
    with open(path, "rb") as handle:
        head = handle.read(4096)
    text = head.lstrip(b"\xef\xbb\xbf")
    if not text.strip():
        raise FileRejected("empty_file", "The file is empty.")
    utf16 = text[:2] in (b"\xff\xfe", b"\xfe\xff")
    if not utf16 and not text.lstrip().startswith(b"<"):
        raise FileRejected("wrong_format", "Customer Returns are imported from XML files "
                                           "(the semiramis CustomerReturn format); this "
                                           "file is not XML.")


def import_returns(session, imp, path, settings):
    """The job's work for the customer_returns module."""
    check_xml_head(path)
    returns_file = open_returns(path)
    imp.rows_total = returns_file.count
    imp.header_json = None
    job = {"id": imp.id, "org": imp.organization_id, "module": imp.module}
    top = [(WARNING, f"semiramis/{w.name}", w.name, None, "unknown_element",
            f"Unknown element <{w.name}> (line {w.line}) ignored: it is not a "
            "CustomerReturn.") for w in returns_file.warnings]
    if returns_file.skipped_warnings:
        top.append((WARNING, "semiramis", None, None, "unknown_element",
                    f"{returns_file.skipped_warnings} more unknown top-level elements "
                    "ignored."))
    if not returns_file.count:
        top.append((WARNING, "semiramis", None, None, "no_returns",
                    "The file holds no CustomerReturn."))
    _flush(session, job, 0, 0, 0, _log_rows(job, None, top), settings)

    importer = ReturnsImport(session, imp, settings)
    rows = accepted = rejected = 0
    pending = []
    batch = max(1, min(settings.batch_size, 1000))
    for position, node in returns_file.returns():
        with session.no_autoflush:
            log = importer.process(position, node)
        rows += 1
        if log.errors:
            rejected += 1
        else:
            accepted += 1
        pending.extend(_log_rows(job, position, log.lines))
        if rows >= batch:
            _flush(session, job, rows, accepted, rejected, pending, settings)
            session.expunge_all()  # bounded memory: nothing of the batch stays loaded
            rows = accepted = rejected = 0
            pending = []
    _flush(session, job, rows, accepted, rejected, pending, settings)
    imp = session.get(ImportFile, job["id"])
    session.refresh(imp)
    imp.status = ImportStatus.needs_attention if imp.rejected else ImportStatus.archived
    imp.finished_at = utcnow()
    session.commit()
    return imp
