"""Modules are data (ARCHITECTURE.md): each import module declares its fields once; the
default template, the downloadable template file, the validator and the docs derive
from the declaration. Adding a module is adding a declaration and a writer."""
from dataclasses import dataclass
from typing import Any, Callable, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

TEXT, DATE, DECIMAL, INTEGER, TIME = "text", "date", "decimal", "integer", "time"
# A module's kind says which runner the import job hands its file to (pipeline.RUNNERS):
# tabular: read, validate and upserted in batches; staged: validated into staging and
# consolidated later for a principal (seed 000, SYN-1); returns_xml: customer returns in
# their own XML format, reader and rules (seed 004, RET-1).
TABULAR, STAGED, RETURNS_XML = "tabular", "staged", "returns_xml"
# `required` values: True, False, or this marker for "required when the organization
# has several locations" (INV-1).
WHEN_MULTI_LOCATION = "multi_location"


LOOKUP_RULES = {
    "customer": _l("Must be an existing customer code of the company."),
    "product": _l("Must be an existing product code of the company."),
    "location": _l("Must be an existing location code of the company."),
    "principal": _l("Must be an existing principal code of the company."),
}


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
    aliases: tuple = ()  # other header spellings: the proposal and default templates read them
    # The field's header in Bahasa Indonesia: a file with either header maps to the
    # field, in a proposal and through a template line naming the other one (issue 16).
    header_id: str = ""

    @property
    def headers(self) -> tuple:
        """The field's own header in each language."""
        return (self.header, self.header_id) if self.header_id else (self.header,)

    @property
    def names(self) -> tuple:
        """Every header a default template's line for the field reads: its own in each
        language and the other spellings ("Jumlah" for Quantity)."""
        return (*self.headers, *self.aliases)

    @property
    def rules(self) -> str:
        """The column's rules in words, for the template's Notes sheet, the proposal and
        the docs: in the reader's language (English outside a request)."""
        parts = []
        if self.required is True:
            parts.append(_("Required."))
        elif self.required == WHEN_MULTI_LOCATION:
            parts.append(_("Required for multi-location companies, optional otherwise."))
        else:
            parts.append(_("Optional."))
        if self.type == DATE:
            parts.append(_("Date, YYYY-MM-DD (a real Excel date cell is accepted too)."))
        elif self.type == DECIMAL:
            parts.append(_("Number with at most %(decimals)s decimals.", decimals=self.decimals)
                         if self.decimals is not None else _("Number."))
        elif self.type == INTEGER:
            parts.append(_("Whole number."))
        elif self.type == TIME:
            parts.append(_("Time of day, HH:MM (a real Excel time cell is accepted too)."))
        if self.positive:
            parts.append(_("Must be greater than zero."))
        if self.max_length:
            parts.append(_("Max. %(count)s characters.", count=self.max_length))
        if self.lookup:
            parts.append(str(LOOKUP_RULES.get(self.lookup) or
                             f"Must be an existing {self.lookup} code of the company."))
        if self.note:
            parts.append(str(self.note))
        return " ".join(parts)


@dataclass(frozen=True)
class Module:
    name: str
    label: str
    fields: tuple
    natural_key: tuple  # field names that identify a record within the organization
    description: str = ""
    kind: str = TABULAR
    # Header and lines (SO-1): the field(s) naming the document, which groups the lines
    # of one document, and the header's fields, repeated on its lines or given once.
    # Empty for one-row-per-record modules.
    document: tuple = ()
    header_fields: tuple = ()

    @property
    def staged(self) -> bool:
        """Validated into staging, consolidated later (Smart-Portal modules, seed 000)."""
        return self.kind == STAGED

    @property
    def has_lines(self) -> bool:
        return bool(self.document)

    @property
    def line_fields(self) -> tuple:
        skip = set(self.document) | set(self.header_fields)
        return tuple(f.name for f in self.fields if f.name not in skip)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def template_columns(self) -> list[dict]:
        """The columns of the template file: header, rules and example, and what Excel's
        data validation needs (app.importing.workbook_rules)."""
        return [field_column(f) for f in self.fields]


def field_column(f: Field, header: Optional[str] = None, required: Optional[bool] = None) -> dict:
    """One column of a template file for a field (its header in the file may differ)."""
    return {"header": header or f.header,
            "required": f.required is True if required is None else required,
            "rules": f.rules, "example": f.example, "type": f.type,
            "max_length": f.max_length, "decimals": f.decimals, "positive": f.positive,
            "lookup": f.lookup}


# Fields that several modules declare alike.
CUSTOMER_CODE = Field("customer", "Customer Code", required=True, max_length=40,
                      lookup="customer", example="C001", header_id="Kode Pelanggan",
                      aliases=("Kode Customer", "Kode Toko"))
PRODUCT_CODE = Field("product", "Product Code", required=True, max_length=40, lookup="product",
                     example="P001", header_id="Kode Produk",
                     aliases=("Kode Barang", "Kode Item"))
LOCATION_CODE = Field("location", "Location Code", required=WHEN_MULTI_LOCATION,
                      max_length=40, lookup="location", example="JKT",
                      header_id="Kode Lokasi", aliases=("Kode Gudang", "Gudang", "Lokasi"))
UNIT_PRICE = Field("unit_price", "Unit Price", type=DECIMAL, required=True, decimals=3,
                   example=3500, header_id="Harga Satuan", aliases=("Price", "Harga"))


def quantity(example: int) -> Field:
    return Field("quantity", "Quantity", type=DECIMAL, required=True, decimals=3,
                 positive=True, example=example, header_id="Kuantitas",
                 aliases=("Qty", "Jumlah"))


CUSTOMERS = Module(
    "customers", "Customers",
    fields=(
        Field("code", "Customer Code", required=True, max_length=40, example="C001",
              header_id="Kode Pelanggan", aliases=("Kode Customer", "Kode Toko")),
        Field("name", "Customer Name", required=True, max_length=200, example="Toko Makmur",
              header_id="Nama Pelanggan", aliases=("Nama Customer", "Nama Toko")),
        Field("source_id", "Customer ID", max_length=60, example="CUST-88",
              note=_l("The source system's id of the customer."), header_id="ID Pelanggan"),
    ),
    natural_key=("code",),
    description="Customers of the company (master data).",
)

PRODUCTS = Module(
    "products", "Products",
    fields=(
        Field("code", "Product Code", required=True, max_length=40, example="P001",
              header_id="Kode Produk", aliases=("Kode Barang", "Kode Item")),
        Field("name", "Product Name", required=True, max_length=200, example="Mineral water 600ml",
              header_id="Nama Produk", aliases=("Nama Barang",)),
        Field("unit", "Unit", required=True, max_length=20, example="btl", header_id="Satuan"),
    ),
    natural_key=("code",),
    description="Products of the company (master data).",
)

OPEN_INVOICES = Module(
    "open_invoices", "Open Invoices",
    fields=(
        Field("reference", "Invoice #", required=True, max_length=20, example="INV-0001",
              note=_l("Saved as the invoice's Ref #."), header_id="No. Faktur",
              aliases=("Invoice Number", "Invoice No", "Nomor Faktur", "No Invoice")),
        CUSTOMER_CODE,
        Field("invoice_date", "Invoice Date", type=DATE, required=True, example="2025-01-31",
              header_id="Tanggal Faktur", aliases=("Tgl Faktur",)),
        Field("balance", "Invoice Balance", type=DECIMAL, required=True, decimals=3,
              example=1250.5, header_id="Saldo Faktur",
              aliases=("Balance", "Amount", "Sisa Tagihan", "Saldo")),
        Field("customer_po", "Customer PO", required=True, max_length=20, example="PO-7781",
              header_id="No. PO Pelanggan", aliases=("PO", "Customer PO #", "No. PO", "Nomor PO")),
        LOCATION_CODE,
    ),
    natural_key=("reference",),
    description="Invoices of an external system, each with carrier \"No Carrier\" and its "
                "total as an Additional Charge.",
)

OPEN_CREDITS = Module(
    "open_credits", "Open Credits",
    fields=(
        CUSTOMER_CODE,
        Field("credit_date", "Credit Date", type=DATE, required=True, example="2025-01-31",
              header_id="Tanggal Kredit", aliases=("Tanggal Nota Kredit",)),
        Field("reference", "Reference", required=True, max_length=40, example="CR-0001",
              header_id="Referensi", aliases=("No. Referensi", "No. Nota Kredit")),
        Field("amount", "Amount", type=DECIMAL, required=True, decimals=3, positive=True,
              example=75.25, header_id="Nilai",
              aliases=("Credit Balance", "Balance", "Nominal", "Saldo Kredit")),
    ),
    natural_key=("customer", "reference"),
    description="Credits, saved as balance adjustments of the customer.",
)

INVENTORY_BOXES = Module(
    "inventory_boxes", "Inventory in Boxes",
    fields=(
        PRODUCT_CODE,
        Field("location", "Location Code", required=True, max_length=40, lookup="location",
              example="JKT", header_id="Kode Lokasi", aliases=("Kode Gudang", "Gudang")),
        Field("boxes", "Boxes", type=INTEGER, required=True, positive=True, example=12,
              header_id="Jumlah Dus", aliases=("Dus", "Karton")),
        Field("units_per_box", "Units per Box", type=INTEGER, required=True, positive=True,
              example=24, header_id="Isi per Dus", aliases=("Isi Dus",)),
        Field("entry_date", "Date", type=DATE, required=True, example="2025-01-31",
              header_id="Tanggal"),
    ),
    natural_key=("product", "location", "entry_date"),
    description="Stock added in boxes at a location.",
)


def sales_document(name: str, label: str, number: Field, date: Field, description: str) -> Module:
    """A header-and-lines document sold to a customer (orders, invoices): one row per
    line; the lines of a document share its number."""
    return Module(name, label, fields=(number, date, CUSTOMER_CODE, PRODUCT_CODE,
                                       quantity(example=12), UNIT_PRICE, LOCATION_CODE),
                  natural_key=("number", "product"), kind=STAGED, document=("number",),
                  header_fields=(date.name, "customer", "location"), description=description)


SALES_ORDERS = sales_document(
    "sales_orders", "Sales Orders",
    Field("number", "Order Number", required=True, max_length=40, example="SO-0001",
          header_id="No. Pesanan",
          aliases=("Order #", "Order No", "SO Number", "Nomor Pesanan", "No. SO")),
    Field("order_date", "Order Date", type=DATE, required=True, example="2025-01-31",
          header_id="Tanggal Pesanan"),
    "Sales orders, one row per line; the lines of an order share its Order Number.")

DAILY_VISITS = Module(
    "daily_visits", "Daily Visits",
    fields=(
        Field("visit_date", "Visit Date", type=DATE, required=True, example="2025-01-31",
              header_id="Tanggal Kunjungan"),
        Field("salesperson", "Salesperson", required=True, max_length=100, example="Budi",
              header_id="Salesman", aliases=("Sales", "Nama Salesman")),
        CUSTOMER_CODE,
        Field("check_in", "Check In", type=TIME, required=True, example="09:15",
              header_id="Jam Masuk"),
        Field("check_out", "Check Out", type=TIME, example="09:40", header_id="Jam Keluar"),
        Field("notes", "Notes", max_length=500, example="Took an order", header_id="Catatan",
              aliases=("Keterangan",)),
    ),
    natural_key=("visit_date", "salesperson", "customer", "check_in"),
    kind=STAGED,
    description="Visits of salespeople to customers.",
)

PURCHASE_INVOICES = Module(
    "purchase_invoices", "Purchase Invoices",
    fields=(
        Field("number", "Invoice Number", required=True, max_length=40, example="PI-0001",
              header_id="No. Faktur", aliases=("Invoice #", "Invoice No", "Nomor Faktur")),
        Field("invoice_date", "Invoice Date", type=DATE, required=True, example="2025-01-31",
              header_id="Tanggal Faktur"),
        Field("supplier", "Supplier Code", required=True, max_length=40, lookup="principal",
              example="PRIN", note=_l("The principal's code."), header_id="Kode Pemasok",
              aliases=("Kode Supplier", "Kode Prinsipal")),
        PRODUCT_CODE,
        quantity(example=24),
        Field("unit_cost", "Unit Cost", type=DECIMAL, required=True, decimals=3,
              example=2800, header_id="Harga Pokok",
              aliases=("Cost", "Harga Beli")),
    ),
    natural_key=("number", "product"),
    kind=STAGED,
    document=("number",),
    header_fields=("invoice_date", "supplier"),
    description="Purchases from the principal, one row per line; the lines of an invoice "
                "share its Invoice Number.",
)

SALES_INVOICES = sales_document(
    "sales_invoices", "Sales Invoices",
    Field("number", "Invoice Number", required=True, max_length=40, example="SI-0001",
          header_id="No. Faktur", aliases=("Invoice #", "Invoice No", "Nomor Faktur")),
    Field("invoice_date", "Invoice Date", type=DATE, required=True, example="2025-01-31",
          header_id="Tanggal Faktur"),
    "Sales invoices to customers, one row per line; the lines of an invoice share its "
    "Invoice Number.")

# Shown on the import screen but not importable yet (seed 000 lists them).
SHOWN_ONLY = {
    "delivery_orders": "Delivery Order",
    "delivery_summaries": "Delivery Summary",
}

# Read from its own XML format by its own reader and rules: no mapper template, no
# column declarations (seed 004, RET-1).
CUSTOMER_RETURNS = Module("customer_returns", "Customer Returns", fields=(), natural_key=(),
                          kind=RETURNS_XML)
XML_MODULES = {CUSTOMER_RETURNS.name: CUSTOMER_RETURNS}

MODULES = {m.name: m for m in (CUSTOMERS, PRODUCTS, OPEN_INVOICES, OPEN_CREDITS, INVENTORY_BOXES,
                                SALES_ORDERS, DAILY_VISITS, PURCHASE_INVOICES, SALES_INVOICES)}
# Modules whose files wait in staging for consolidation (Sync All, the daily run).
STAGED_MODULES = tuple(name for name, m in MODULES.items() if m.staged)


def declared(name: str) -> Optional[Module]:
    """The declaration of an importable module (tabular, staged or XML), else None."""
    return MODULES.get(name) or XML_MODULES.get(name)


# A workbook imported with a template set: each of its sheets is an import of its own
# module (issue 19.5); the workbook's import row has this module.
TEMPLATE_SET = "template_set"
TEMPLATE_SET_LABEL = "Workbook (template set)"
# Master data first: a sheet of invoices finds the customers of a sheet of customers.
DEPENDENCY_ORDER = ("customers", "products")


def in_dependency_order(items: list, module_of: Callable[[Any], str]) -> list:
    """`items` (sheets of a set) with master data first, otherwise in their order;
    `module_of(item)` names an item's module."""
    def rank(pair):
        module = module_of(pair[1])
        first = DEPENDENCY_ORDER.index(module) if module in DEPENDENCY_ORDER else \
            len(DEPENDENCY_ORDER)
        return first, pair[0]
    return [item for _, item in sorted(enumerate(items), key=rank)]


def module_label(name: str) -> str:
    if name == TEMPLATE_SET:
        return TEMPLATE_SET_LABEL
    module = declared(name)
    return module.label if module else SHOWN_ONLY.get(name, name)
