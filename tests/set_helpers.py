"""Building blocks of the template-set tests: a workbook of named sheets, the set that
reads it (issue 19.5)."""
import io

import openpyxl
from sqlalchemy import select

from app.extensions import db
from app.models import MapperTemplate, Organization, TemplateSet, TemplateSetSheet

INVOICE_HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
                  "Location Code"]


def workbook(sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


SET_WORKBOOK = [
    # the invoices come first in the file and in the set: C900 exists only in the
    # Customers sheet, so they import only when the customers are written first
    ("Invoices", [INVOICE_HEADER, ["INV-1", "C900", "2025-01-31", 100, "PO-1", "JKT"],
                  ["INV-2", "NOPE", "2025-01-31", 5, "PO-2", None]]),
    ("Customers", [["Customer Code", "Customer Name", "Customer ID"], ["C900", "Toko Baru", None]]),
    ("Products", [["Product Code", "Product Name", "Unit"], ["P900", "Teh", "btl"],
                  ["P901", "Kopi", "pcs"]]),
]


def make_set(app, name="Monthly", sheets=(("Invoices", "open_invoices"),
                                          ("Customers", "customers"),
                                          ("Products", "products"))):
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.code == "D1")).scalar()
        template_set = TemplateSet(organization=org, name=name)
        for position, (sheet, module) in enumerate(sheets):
            template = db.session.execute(select(MapperTemplate).where(
                MapperTemplate.organization_id == org.id,
                MapperTemplate.module == module)).scalar_one()
            template_set.sheets.append(TemplateSetSheet(position=position, sheet=sheet,
                                                        template=template))
        db.session.add(template_set)
        db.session.commit()
        return template_set.id
