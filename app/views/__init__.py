"""Every view, registered in one place; the menu, the role declarations and the
permission matrix read these lists."""
from app.views.consolidated import (DailyVisitView, DashboardView, PurchaseInvoiceLineView,
                                    PurchaseInvoiceView, SalesInvoiceLineView, SalesInvoiceView,
                                    SalesOrderLineView, SalesOrderView, SyncAllView)
from app.views.imports import DataImportView, ImportFileView
from app.views.integrations import ConnectionView, IntegrationView
from app.views.organizations import CustomerView, LocationView, OrganizationView, ProductView
from app.views.records import BalanceAdjustmentView, OpenInvoiceView, StockEntryView
from app.views.rejections import ImportRejectionView
from app.views.returns import (CustomerReturnDetailView, CustomerReturnView, ReturnInfoTextView,
                               ReturnTextAssignmentView)
from app.views.security import MembershipView
from app.views.sync import IntegrationKeyView, SyncStatusView
from app.views.service_data import (EmployeeView, PaymentTermView, ServiceSalesOrderLineView,
                                    ServiceSalesOrderView, TaxView)
from app.views.service_links import ServiceLinkView
from app.views.templates import ModuleTemplateView, TemplateFieldView, TemplateView

# (view class, menu name, category, icon)
MENU = [
    (DataImportView, "Data Import", "Files", "fa-upload"),
    (ImportFileView, "Files", "Files", "fa-file"),
    (ImportRejectionView, "Rejection Log", "Files", "fa-ban"),
    (TemplateView, "Mapper Templates", "Templates", "fa-table"),
    (ModuleTemplateView, "Template Files", "Templates", "fa-file-excel-o"),
    (OpenInvoiceView, "Open Invoices", "Records", "fa-file-text"),
    (BalanceAdjustmentView, "Open Credits", "Records", "fa-money"),
    (StockEntryView, "Inventory in Boxes", "Records", "fa-cubes"),
    (CustomerReturnView, "Customer Returns", "Records", "fa-undo"),
    (SalesOrderView, "Sales Orders", "Consolidated", "fa-shopping-cart"),
    (DailyVisitView, "Daily Visits", "Consolidated", "fa-map-signs"),
    (SalesInvoiceView, "Sales Invoices", "Consolidated", "fa-file-text-o"),
    (PurchaseInvoiceView, "Purchase Invoices", "Consolidated", "fa-truck"),
    (SyncAllView, "Sync All", "Consolidated", "fa-refresh"),
    (DashboardView, "Dashboard", "Consolidated", "fa-bar-chart"),
    (ServiceSalesOrderView, "Synced Sales Orders", "Records", "fa-shopping-cart"),
    (OrganizationView, "Organizations", "Organizations", "fa-building"),
    (LocationView, "Locations", "Organizations", "fa-map-marker"),
    (CustomerView, "Customers", "Organizations", "fa-users"),
    (ProductView, "Products", "Organizations", "fa-cube"),
    (TaxView, "Taxes", "Organizations", "fa-percent"),
    (PaymentTermView, "Payment Terms", "Organizations", "fa-calendar"),
    (EmployeeView, "Employees", "Organizations", "fa-id-card"),
    (ConnectionView, "Connections", "Integrations", "fa-link"),
    (IntegrationView, "Integrations", "Integrations", "fa-plug"),
    (SyncStatusView, "Synchronization Status", "Integrations", "fa-refresh"),
    (IntegrationKeyView, "API Keys", "Integrations", "fa-key"),
    (MembershipView, "User Organizations", "Security", "fa-id-badge"),
]
# Views reached from other views (e.g. a template's field lines), not from the menu.
NO_MENU = [(TemplateFieldView, "Template field lines", "Templates"),
           (CustomerReturnDetailView, "Customer return details", "Records"),
           (ReturnInfoTextView, "Customer return info texts", "Records"),
           (ReturnTextAssignmentView, "Customer return text assignments", "Records"),
           (SalesOrderLineView, "Sales order lines", "Consolidated"),
           (SalesInvoiceLineView, "Sales invoice lines", "Consolidated"),
           (PurchaseInvoiceLineView, "Purchase invoice lines", "Consolidated"),
           (ServiceLinkView, "Service connection", "Integrations"),
           (ServiceSalesOrderLineView, "Synced sales order lines", "Records")]


def menu_of_view():
    return {view.__name__: (name, category) for view, name, category, _ in MENU}


def registered_views():
    """(view class, label, category) of every view, menu or not."""
    return [(view, name, category) for view, name, category, _ in MENU] + NO_MENU


def register_views(appbuilder):
    for view, _, _ in NO_MENU:
        appbuilder.add_view_no_menu(view)
    for view, name, category, icon in MENU:
        appbuilder.add_view(view, name, category=category, icon=icon)
