"""Every view, registered in one place; the menu, the role declarations and the
permission matrix read these lists."""
from flask import current_app

from app.i18n.screens import menu_text, translate_view
from app.views.apikeys import IntegrationKeyView
from app.views.audit import AuditEventView
from app.views.consolidated import (
    DailyVisitView,
    DashboardView,
    PurchaseInvoiceLineView,
    PurchaseInvoiceView,
    SalesInvoiceLineView,
    SalesInvoiceView,
    SalesOrderLineView,
    SalesOrderView,
    SyncAllView,
)
from app.views.display import register_filters, with_display_formatters
from app.views.fix_rows import FixRowsView
from app.views.help import HelpView, install_help_link
from app.views.imports import DataImportView, ImportFileView
from app.views.integrations import ConnectionView, IntegrationView
from app.views.operations import OperationsView, mount_dashboard
from app.views.organizations import CustomerView, LocationView, OrganizationView, ProductView
from app.views.outbox import OutboxView
from app.views.records import BalanceAdjustmentView, OpenInvoiceView, StockEntryView
from app.views.rejections import ImportRejectionView
from app.views.returns import (
    CustomerReturnDetailView,
    CustomerReturnView,
    ReturnInfoTextView,
    ReturnTextAssignmentView,
)
from app.views.security import MembershipView
from app.views.service_data import (
    EmployeeView,
    PaymentTermView,
    ServiceSalesOrderLineView,
    ServiceSalesOrderView,
    TaxView,
)
from app.views.service_links import ServiceLinkView
from app.views.sync import SyncStatusView
from app.views.template_sets import TemplateSetSheetView, TemplateSetView
from app.views.templates import ModuleTemplateView, TemplateFieldView, TemplateView
from app.views.titles import title_from_menu

# (view class, menu name, category, icon). A menu name differs from every category name:
# the framework grants menu entries and categories by name alone.
MENU = [
    (DataImportView, "Data Import", "Imports", "fa-upload"),
    (ImportFileView, "Files", "Imports", "fa-file"),
    (ImportRejectionView, "Rejection Log", "Imports", "fa-ban"),
    (TemplateView, "Mapper Templates", "Templates", "fa-table"),
    (ModuleTemplateView, "Template Files", "Templates", "fa-file-excel-o"),
    (TemplateSetView, "Template Sets", "Templates", "fa-files-o"),
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
    (OrganizationView, "Organizations", "Master Data", "fa-building"),
    (LocationView, "Locations", "Master Data", "fa-map-marker"),
    (CustomerView, "Customers", "Master Data", "fa-users"),
    (ProductView, "Products", "Master Data", "fa-cube"),
    (TaxView, "Taxes", "Master Data", "fa-percent"),
    (PaymentTermView, "Payment Terms", "Master Data", "fa-calendar"),
    (EmployeeView, "Employees", "Master Data", "fa-id-card"),
    (ConnectionView, "Connections", "Connectivity", "fa-link"),
    (IntegrationView, "Integrations", "Connectivity", "fa-plug"),
    (SyncStatusView, "Synchronization Status", "Connectivity", "fa-refresh"),
    (IntegrationKeyView, "API Keys", "Connectivity", "fa-key"),
    (MembershipView, "User Organizations", "Security", "fa-id-badge"),
    (AuditEventView, "Audit Trail", "Security", "fa-history"),
    (HelpView, "Files and states", "Help", "fa-question-circle"),
    (OperationsView, "Pipeline Figures", "Operations", "fa-tachometer"),
    (OutboxView, "Outbox", "Operations", "fa-envelope"),
]
# Menu links to pages that are not views of ours: (name, href, category, icon).
LINKS = [("Queues and workers", "/operations/rq/", "Operations", "fa-tasks")]
# Views reached from other views (e.g. a template's field lines), not from the menu.
NO_MENU = [(TemplateFieldView, "Template field lines", "Templates"),
           (TemplateSetSheetView, "Template set sheets", "Templates"),
           (CustomerReturnDetailView, "Customer return details", "Records"),
           (ReturnInfoTextView, "Customer return info texts", "Records"),
           (ReturnTextAssignmentView, "Customer return text assignments", "Records"),
           (SalesOrderLineView, "Sales order lines", "Consolidated"),
           (SalesInvoiceLineView, "Sales invoice lines", "Consolidated"),
           (PurchaseInvoiceLineView, "Purchase invoice lines", "Consolidated"),
           (ServiceLinkView, "Service connection", "Connectivity"),
           (ServiceSalesOrderLineView, "Synced sales order lines", "Records"),
           (FixRowsView, "Fix rejected rows", "Imports")]


def menu_of_view():
    return {view.__name__: (name, category) for view, name, category, _ in MENU}


def registered_views():
    """(view class, label, category) of every view, menu or not."""
    return [(view, name, category) for view, name, category, _ in MENU] + NO_MENU


def register_views(appbuilder):
    register_filters(current_app)
    for view, name, _ in NO_MENU:
        title_from_menu(view, name)
        with_display_formatters(view)
        appbuilder.add_view_no_menu(view)
    for view, name, category, icon in MENU:
        title_from_menu(view, name)
        with_display_formatters(view)
        menu_text(name, category)
        appbuilder.add_view(view, name, category=category, icon=icon)
    for name, href, category, icon in LINKS:
        menu_text(name, category)
        appbuilder.add_link(name, href=href, category=category, icon=icon)
    for built in appbuilder.baseviews:
        translate_view(built)
    mount_dashboard(current_app)
    install_help_link(current_app)
