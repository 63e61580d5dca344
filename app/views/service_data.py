"""What a service sync brings that Muara had no screen for (INT-3): taxes, payment terms,
employees and the synced sales orders with their lines. Read-only: the service is the
source; a change there arrives with the next sync."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models.service_links import (
    Employee,
    PaymentTerm,
    ServiceSalesOrder,
    ServiceSalesOrderLine,
    Tax,
)
from app.views.base import TenantModelView

READ_ONLY = ["can_list", "can_show"]


class TaxView(TenantModelView):
    datamodel = SQLAInterface(Tax)
    base_permissions = READ_ONLY
    list_columns = show_columns = ["organization", "code", "name", "rate", "reference", "synced_at"]
    search_columns = ["organization", "code", "name"]
    label_columns = {"reference": "Service id"}


class PaymentTermView(TenantModelView):
    datamodel = SQLAInterface(PaymentTerm)
    base_permissions = READ_ONLY
    list_columns = show_columns = ["organization", "name", "net_days", "reference", "synced_at"]
    search_columns = ["organization", "name"]
    label_columns = {"reference": "Service id"}


class EmployeeView(TenantModelView):
    datamodel = SQLAInterface(Employee)
    base_permissions = READ_ONLY
    list_columns = show_columns = ["organization", "number", "name", "reference", "synced_at"]
    search_columns = ["organization", "number", "name"]
    label_columns = {"reference": "Service id"}


class ServiceSalesOrderLineView(TenantModelView):
    datamodel = SQLAInterface(ServiceSalesOrderLine)
    base_permissions = READ_ONLY
    list_columns = show_columns = ["order", "line_no", "item_code", "quantity", "unit",
                                   "unit_price"]
    base_order = ("line_no", "asc")
    label_columns = {"order": "Sales order", "line_no": "#"}


class ServiceSalesOrderView(TenantModelView):
    datamodel = SQLAInterface(ServiceSalesOrder)
    base_permissions = READ_ONLY
    list_columns = ["organization", "number", "order_date", "customer", "total", "status",
                    "synced_at"]
    show_columns = list_columns + ["reference", "customer_code"]
    search_columns = ["organization", "number", "order_date", "customer", "status"]
    related_views = [ServiceSalesOrderLineView]
    base_order = ("order_date", "desc")
    label_columns = {"reference": "Service id"}
