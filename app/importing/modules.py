"""Modules are data (ARCHITECTURE.md): each import module declares its fields once; the
default template, the downloadable template file, the validator and the docs derive
from the declaration. Adding a module is adding a declaration and a writer."""
from dataclasses import dataclass
from typing import Any, Optional

TEXT, DATE, DECIMAL, INTEGER = "text", "date", "decimal", "integer"
# `required` values: True, False, or this marker for "required when the organization
# has several locations" (INV-1).
WHEN_MULTI_LOCATION = "multi_location"


@dataclass(frozen=True)
class Field:
    name: str
    header: str
    type: str = TEXT
    required: Any = False
    max_length: Optional[int] = None
    decimals: Optional[int] = None
    positive: bool = False
    lookup: Optional[str] = None  # customer | location | product: a code of this org
    example: Any = None
    note: str = ""
    aliases: tuple = ()  # other header spellings, for the proposed mapping

    @property
    def rules(self):
        """The column's rules in words, for the template's Notes sheet and the docs."""
        parts = []
        if self.required is True:
            parts.append("Required.")
        elif self.required == WHEN_MULTI_LOCATION:
            parts.append("Required for multi-location companies, optional otherwise.")
        else:
            parts.append("Optional.")
        if self.type == DATE:
            parts.append("Date, YYYY-MM-DD (a real Excel date cell is accepted too).")
        elif self.type == DECIMAL:
            parts.append(f"Number with at most {self.decimals} decimals." if self.decimals is not None
                         else "Number.")
        elif self.type == INTEGER:
            parts.append("Whole number.")
        if self.positive:
            parts.append("Must be greater than zero.")
        if self.max_length:
            parts.append(f"Max. {self.max_length} characters.")
        if self.lookup:
            parts.append(f"Must be an existing {self.lookup} code of the company.")
        if self.note:
            parts.append(self.note)
        return " ".join(parts)


@dataclass(frozen=True)
class Module:
    name: str
    label: str
    fields: tuple
    natural_key: tuple  # field names that identify a record within the organization
    supported: bool = True
    description: str = ""

    def field(self, name):
        return next(f for f in self.fields if f.name == name)

    def template_columns(self):
        return [{"header": f.header, "required": f.required is True, "rules": f.rules,
                 "example": f.example} for f in self.fields]


CUSTOMERS = Module(
    "customers", "Customers",
    fields=(
        Field("code", "Customer Code", required=True, max_length=40, example="C001"),
        Field("name", "Customer Name", required=True, max_length=200, example="Toko Makmur"),
        Field("source_id", "Customer ID", max_length=60, example="CUST-88",
              note="The source system's id of the customer."),
    ),
    natural_key=("code",),
    description="Customers of the company (master data).",
)

PRODUCTS = Module(
    "products", "Products",
    fields=(
        Field("code", "Product Code", required=True, max_length=40, example="P001"),
        Field("name", "Product Name", required=True, max_length=200, example="Mineral water 600ml"),
        Field("unit", "Unit", required=True, max_length=20, example="btl"),
    ),
    natural_key=("code",),
    description="Products of the company (master data).",
)

OPEN_INVOICES = Module(
    "open_invoices", "Open Invoices",
    fields=(
        Field("reference", "Invoice #", required=True, max_length=20, example="INV-0001",
              note="Saved as the invoice's Ref #.", aliases=("Invoice Number", "Invoice No")),
        Field("customer", "Customer Code", required=True, max_length=40, lookup="customer",
              example="C001"),
        Field("invoice_date", "Invoice Date", type=DATE, required=True, example="2025-01-31"),
        Field("balance", "Invoice Balance", type=DECIMAL, required=True, decimals=3,
              example=1250.5, aliases=("Balance", "Amount")),
        Field("customer_po", "Customer PO", required=True, max_length=20, example="PO-7781",
              aliases=("PO", "Customer PO #")),
        Field("location", "Location Code", required=WHEN_MULTI_LOCATION, max_length=40,
              lookup="location", example="JKT"),
    ),
    natural_key=("reference",),
    description="Invoices of an external system, each with carrier \"No Carrier\" and its "
                "total as an Additional Charge (seed 002).",
)

OPEN_CREDITS = Module(
    "open_credits", "Open Credits",
    fields=(
        Field("customer", "Customer Code", required=True, max_length=40, lookup="customer",
              example="C001"),
        Field("credit_date", "Credit Date", type=DATE, required=True, example="2025-01-31"),
        Field("reference", "Reference", required=True, max_length=40, example="CR-0001"),
        Field("amount", "Amount", type=DECIMAL, required=True, decimals=3, positive=True,
              example=75.25, aliases=("Credit Balance", "Balance")),
    ),
    natural_key=("customer", "reference"),
    description="Credits, saved as balance adjustments of the customer (seed 002).",
)

INVENTORY_BOXES = Module(
    "inventory_boxes", "Inventory in Boxes",
    fields=(
        Field("product", "Product Code", required=True, max_length=40, lookup="product",
              example="P001"),
        Field("location", "Location Code", required=True, max_length=40, lookup="location",
              example="JKT"),
        Field("boxes", "Boxes", type=INTEGER, required=True, positive=True, example=12),
        Field("units_per_box", "Units per Box", type=INTEGER, required=True, positive=True,
              example=24),
        Field("entry_date", "Date", type=DATE, required=True, example="2025-01-31"),
    ),
    natural_key=("product", "location", "entry_date"),
    description="Stock added in boxes at a location (seed 002).",
)

# Shown on the import screen but not importable yet (seed 000 lists them).
SHOWN_ONLY = {
    "sales_orders": "Sales Order",
    "daily_visits": "Daily Visit",
    "purchase_invoices": "Purchase Invoice",
    "sales_invoices": "Sales Invoice",
    "delivery_orders": "Delivery Order",
    "delivery_summaries": "Delivery Summary",
}

# Modules read from their own XML format by their own reader and rules (no mapper
# template, no column declarations): customer returns (seed 004, RET-1).
XML_MODULES = {
    "customer_returns": "Customer Returns",
}

MODULES = {m.name: m for m in (CUSTOMERS, PRODUCTS, OPEN_INVOICES, OPEN_CREDITS, INVENTORY_BOXES)}


def module_choices():
    """(name, label, supported) of every module the import screen shows."""
    shown = [(m.name, m.label, True) for m in MODULES.values()]
    shown += [(name, label, False) for name, label in SHOWN_ONLY.items()]
    shown += [(name, label, True) for name, label in XML_MODULES.items()]
    return shown


def module_label(name):
    if name in MODULES:
        return MODULES[name].label
    return SHOWN_ONLY.get(name) or XML_MODULES.get(name, name)
