"""Imported records, read-only: open invoices, balance adjustments, stock in boxes."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import BalanceAdjustment, OpenInvoice, StockEntry
from app.views.base import TenantModelView

READ_ONLY = {"can_list", "can_show"}
# The principal of the file that last wrote the record: who sees it (CON-1).
SHARED_WITH = "Shared with"


class OpenInvoiceView(TenantModelView):
    """Searchable by Customer PO and Invoice Date, as seed 002 says users check them."""
    datamodel = SQLAInterface(OpenInvoice)
    base_permissions = READ_ONLY
    list_columns = ["organization", "reference", "customer", "invoice_date", "balance",
                    "customer_po", "location", "carrier"]
    show_columns = list_columns + ["charges_text", "principal"]
    search_columns = ["customer_po", "invoice_date", "reference", "customer", "location",
                      "organization"]
    base_order = ("invoice_date", "desc")
    label_columns = {"reference": "Invoice # (Ref #)", "customer_po": "Customer PO",
                     "charges_text": "Charges", "principal": SHARED_WITH}


class BalanceAdjustmentView(TenantModelView):
    datamodel = SQLAInterface(BalanceAdjustment)
    base_permissions = READ_ONLY
    list_columns = ["organization", "customer", "credit_date", "reference", "amount"]
    show_columns = list_columns + ["principal"]
    search_columns = ["customer", "credit_date", "reference", "organization"]
    base_order = ("credit_date", "desc")
    label_columns = {"principal": SHARED_WITH}


class StockEntryView(TenantModelView):
    datamodel = SQLAInterface(StockEntry)
    base_permissions = READ_ONLY
    list_columns = ["organization", "product", "location", "entry_date", "boxes",
                    "units_per_box", "quantity"]
    show_columns = list_columns + ["principal"]
    search_columns = ["product", "location", "entry_date", "organization"]
    base_order = ("entry_date", "desc")
    label_columns = {"entry_date": "Date", "principal": SHARED_WITH}
