"""Customer returns to the XML format they are imported from (RET-1: "export ... in the
same format, so that an exported file re-imports to the same data"; seed 004 recommends
an export as the template of an import file).

Deterministic: returns by type and number, details by number, sub-details by sub-number,
texts by language, text assignments by number; no time stamp in the file. So exporting,
importing into an empty database and exporting again gives the same bytes (for returns
without cancelled details: a cancelled detail takes two imports, by the seed's rule).
Master data is written by its functional key (number or code), which is what another
database knows it by; returns, details and sub-details keep their guid.
"""
from decimal import Decimal
from typing import TextIO
from xml.sax.saxutils import escape

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from app.importing.returns.reading import NAMESPACE, ROOT
from app.models import (
    CustomerReturn,
    CustomerReturnDetail,
    ReturnInfoText,
    ReturnTextAssignment,
)

HEADER = (f'<?xml version="1.0" encoding="UTF-8"?>\n<{ROOT} xmlns="{NAMESPACE}" '
          'locale="en-US-XMLSchemaCompliant" nlsMode="SINGLE_LANGUAGE" '
          'dateTimeMode="NORMALIZED">\n')


def _amount(value):
    value = Decimal(value).normalize()
    return format(value, "f")


def _element(name, value, indent):
    return f"{indent}<{name}>{escape(str(value))}</{name}>\n"


def _key(relation, key, value, indent):
    return (f"{indent}<{relation}>\n" + _element(key, value, indent + "  ")
            + f"{indent}</{relation}>\n")


def _texts(owner_texts, owner_assignments, indent):
    out = []
    for text in owner_texts:
        out.append(f"{indent}<InfoTexts>\n")
        out.append(_element("language", text.language, indent + "  "))
        out.append(_element("text", text.text, indent + "  "))
        out.append(_element("contentType", text.content_type, indent + "  "))
        out.append(f"{indent}</InfoTexts>\n")
    for assignment in owner_assignments:
        inner = indent + "  "
        out.append(f"{indent}<TextAssignments>\n")
        out.append(_element("number", assignment.number, inner))
        for name in ("type", "code", "document"):
            if getattr(assignment, name):
                out.append(_element(name, getattr(assignment, name), inner))
        for line in assignment.texts:
            out.append(f"{inner}<text>\n")
            out.append(_element("language", line.language, inner + "  "))
            out.append(_element("text", line.text, inner + "  "))
            out.append(_element("contentType", line.content_type, inner + "  "))
            out.append(f"{inner}</text>\n")
        out.append(f"{indent}</TextAssignments>\n")
    return out


def _quantity(quantity, uom, indent):
    return (f"{indent}<totalQuantity>\n" + _element("amount", _amount(quantity), indent + "  ")
            + _key("uom", "code", uom.code, indent + "  ") + f"{indent}</totalQuantity>\n")


def _owned(session, model, return_id):
    """Texts (or assignments) of one return, grouped by owner (detail, sub-detail)."""
    order = model.language if model is ReturnInfoText else model.number
    query = select(model).where(model.return_id == return_id).order_by(order)
    if model is ReturnTextAssignment:
        query = query.options(selectinload(ReturnTextAssignment.texts))
    grouped = {}
    for row in session.execute(query).scalars():
        grouped.setdefault((row.detail_id, row.sub_detail_id), []).append(row)
    return grouped


def write_return(session: Session, ret: CustomerReturn, out: TextIO) -> None:
    texts = _owned(session, ReturnInfoText, ret.id)
    assignments = _owned(session, ReturnTextAssignment, ret.id)
    i1, i2, i3 = "  ", "    ", "      "
    out.append(f"{i1}<CustomerReturn>\n")
    out.append(_element("guid", ret.guid, i2))
    out.append(_element("number", ret.number, i2))
    out.append(_key("type", "code", ret.type.code, i2))
    out.append(f"{i2}<invoicingPartyData>\n" + _key("partner", "number", ret.partner.number, i3)
               + f"{i2}</invoicingPartyData>\n")
    out.append(f"{i2}<customerData>\n" + _key("customer", "number", ret.customer.code, i3)
               + f"{i2}</customerData>\n")
    if ret.date:
        out.append(_element("date", ret.date.isoformat(), i2))
    if not ret.details:
        out.append(_element("status", ret.status.value, i2))
    out.extend(_texts(texts.get((None, None), ()), assignments.get((None, None), ()), i2))
    for detail in ret.details:
        out.append(f"{i2}<Details>\n")
        out.append(_element("guid", detail.guid, i3))
        out.append(_element("number", detail.number, i3))
        out.append(_key("item", "number", detail.item.code, i3))
        out.append(_quantity(detail.quantity, detail.uom, i3))
        if detail.canceled:
            out.append(_element("canceled", "true", i3))
        out.append(_element("status", detail.status.value, i3))
        out.extend(_texts(texts.get((detail.id, None), ()),
                          assignments.get((detail.id, None), ()), i3))
        i4 = i3 + "  "
        for sub in detail.sub_details:
            out.append(f"{i3}<SubDetails>\n")
            out.append(_element("guid", sub.guid, i4))
            out.append(_element("subNumber", sub.sub_number, i4))
            if sub.item is not None:
                out.append(_key("item", "number", sub.item.code, i4))
            if sub.quantity is not None and sub.uom is not None:
                out.append(_quantity(sub.quantity, sub.uom, i4))
            out.extend(_texts(texts.get((detail.id, sub.id), ()),
                              assignments.get((detail.id, sub.id), ()), i4))
            out.append(f"{i3}</SubDetails>\n")
        out.append(f"{i2}</Details>\n")
    out.append(f"{i1}</CustomerReturn>\n")


def export_returns(session: Session, query: Select, stream: TextIO) -> None:
    """Write the returns `query` selects (a select of CustomerReturn) to `stream`."""
    from app.models import ReturnType
    stream.write(HEADER)
    query = (query.join(ReturnType, CustomerReturn.type_id == ReturnType.id)
             .order_by(ReturnType.code, CustomerReturn.number)
             .options(selectinload(CustomerReturn.details)
                      .selectinload(CustomerReturnDetail.sub_details)))
    ids = [row for row in session.execute(query.with_only_columns(CustomerReturn.id)).scalars()]
    for start in range(0, len(ids), 500):
        chunk = session.execute(
            select(CustomerReturn).where(CustomerReturn.id.in_(ids[start:start + 500]))
            .options(selectinload(CustomerReturn.details)
                     .selectinload(CustomerReturnDetail.sub_details))).scalars().all()
        by_id = {r.id: r for r in chunk}
        for return_id in ids[start:start + 500]:
            out = []
            write_return(session, by_id[return_id], out)
            stream.write("".join(out))
    stream.write(f"</{ROOT}>\n")
