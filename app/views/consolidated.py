"""The principal's screens (seed 000, SYN-1): consolidated Sales Orders (with lines), Daily
Visits and Purchase Invoices of every connected distributor, filterable by distributor
and date; "Sync All" with its result; the dashboard."""
import json

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import func, select

from app.errors import MuaraError
from app.extensions import db
from app.models import ImportFile, Organization
from app.models import consolidated as documents
from app.models.imports import ImportStatus
from app.models.organizations import OrgKind
from app.models.tasks import BackgroundTask, TaskStatus
from app.security.filters import TENANT_BASE_FILTERS
from app.security.tenancy import current_viewer
from app.services import consolidation as service
from app.services.dashboard import dashboard_figures
from app.views.base import TenantModelView
from app.views.pages import PageView, page_action
from app.views.preconditions import error_shown

READ_ONLY = {"can_list", "can_show"}
# The distributor is the record's organization; principals filter by it.
DISTRIBUTOR = {"organization": "Distributor"}

# Where a consolidated record came from: the file that last wrote it, and when.
TRACE_COLUMNS = ["file_id", "consolidated_at"]
TRACE_LABELS = dict(DISTRIBUTOR, file_id="From file #", consolidated_at="Consolidated at")


class ConsolidatedView(TenantModelView):
    """A consolidated record, read-only; its page names the file it came from."""
    base_permissions = READ_ONLY


class DocumentLinesView(TenantModelView):
    """The lines of a consolidated document, read-only, shown under their document."""
    base_permissions = READ_ONLY
    base_order = ("line_no", "asc")
    label_columns = {"line_no": "Line"}


def lines_view(name, model, document, price):
    """The read-only lines of one kind of consolidated document."""
    columns = [document, "line_no", "product", "quantity", price, "amount"]
    return type(name, (DocumentLinesView,), {
        "datamodel": SQLAInterface(model),
        "search_form_query_rel_fields": {document: TENANT_BASE_FILTERS},
        "list_columns": columns, "show_columns": columns,
        "search_columns": [document, "product"]})


SalesOrderLineView = lines_view("SalesOrderLineView", documents.SalesOrderLine, "order",
                                "unit_price")
SalesInvoiceLineView = lines_view("SalesInvoiceLineView", documents.SalesInvoiceLine,
                                  "invoice", "unit_price")
PurchaseInvoiceLineView = lines_view("PurchaseInvoiceLineView",
                                     documents.PurchaseInvoiceLine, "invoice", "unit_cost")


def document_view(name, model, lines, date, parties, number_label, searched=()):
    """A consolidated document with its lines below it: newest first, searchable by
    distributor, date, number, the `searched` parties and principal."""
    columns = ["organization", "number", date, *parties, "line_count", "total", "principal"]
    return type(name, (ConsolidatedView,), {
        "datamodel": SQLAInterface(model), "related_views": [lines],
        "list_columns": columns, "show_columns": columns + TRACE_COLUMNS,
        "search_columns": ["organization", date, "number", *searched, "principal"],
        "base_order": (date, "desc"),
        "label_columns": dict(TRACE_LABELS, number=number_label, line_count="Lines")})


SalesOrderView = document_view("SalesOrderView", documents.SalesOrder, SalesOrderLineView,
                               "order_date", ("customer", "location"), "Order Number",
                               searched=("customer",))
SalesInvoiceView = document_view("SalesInvoiceView", documents.SalesInvoice,
                                 SalesInvoiceLineView, "invoice_date",
                                 ("customer", "location"), "Invoice Number",
                                 searched=("customer",))
PurchaseInvoiceView = document_view("PurchaseInvoiceView", documents.PurchaseInvoice,
                                    PurchaseInvoiceLineView, "invoice_date", ("supplier",),
                                    "Invoice Number")


class DailyVisitView(ConsolidatedView):
    datamodel = SQLAInterface(documents.DailyVisit)
    list_columns = ["organization", "visit_date", "salesperson", "customer", "check_in",
                    "check_out", "notes", "principal"]
    show_columns = list_columns + TRACE_COLUMNS
    search_columns = ["organization", "visit_date", "salesperson", "customer", "principal"]
    base_order = ("visit_date", "desc")
    label_columns = dict(TRACE_LABELS)  # FAB fills in the other labels in place


def principals_for_viewer():
    """The principals the user may run Sync All for: their own (Admin: every one)."""
    viewer = current_viewer()
    query = select(Organization).where(Organization.kind == OrgKind.principal)
    if not viewer.is_admin:
        query = query.where(Organization.id == viewer.organization_id)
    return db.session.execute(query.order_by(Organization.code)).scalars().all()


class SyncAllView(PageView):
    """ "Sync All" (seed 000): consolidate every waiting file shared with the principal."""
    help_topic = "sync-all"
    route_base = "/sync-all"

    def _principal(self, principals):
        wanted = request.values.get("principal", type=int)
        if wanted is None:
            return principals[0] if principals else None
        found = next((p for p in principals if p.id == wanted), None)
        if found is None:
            abort(404)
        return found

    @page_action("/", "sync")
    def index(self):
        principals = principals_for_viewer()
        principal = self._principal(principals)
        waiting = []
        if principal is not None:
            waiting = db.session.execute(
                select(Organization.code, Organization.name, func.count(ImportFile.id))
                .join(ImportFile, ImportFile.organization_id == Organization.id)
                .where(ImportFile.id.in_(service.pending_for_principal(principal.id)))
                .group_by(Organization.code, Organization.name)
                .order_by(Organization.code)).all()
        return self.render_template("sync_all.html", principals=principals,
                                    principal=principal, waiting=waiting)

    @page_action("/run", "sync", methods=["POST"])
    def run(self):
        principal = self._principal(principals_for_viewer())
        if principal is None:
            abort(403)
        try:
            task = service.request_sync_all(principal)
        except MuaraError as exc:
            flash(error_shown(exc), "danger")
            return redirect(url_for("SyncAllView.index"))
        return redirect(url_for("SyncAllView.result", task_id=task.id))

    @page_action("/result/<int:task_id>", "sync")
    def result(self, task_id):
        task = db.session.get(BackgroundTask, task_id)
        allowed = {p.id for p in principals_for_viewer()}
        if task is None or task.function != service.SYNC_ALL or \
                json.loads(task.args)[0] not in allowed:
            abort(404)
        finished = task.status in (TaskStatus.done, TaskStatus.failed)
        counts = json.loads(task.result) if task.status == TaskStatus.done else None
        principal = db.session.get(Organization, json.loads(task.args)[0])
        return self.render_template(
            "sync_all_result.html", task=task, finished=finished, counts=counts,
            principal=principal, archived_words=f'"{ImportStatus.archived.label}"',
            attention_words=f'"{ImportStatus.needs_attention.label}"',
            failed_words=f'"{ImportStatus.failed.label}"')


class DashboardView(PageView):
    """Files per state, records consolidated per day per distributor and the rejection
    rate per distributor, drawn as SVG bars by the template (no script, nothing fetched)."""
    route_base = "/dashboard"

    @page_action("/", "view")
    def index(self):
        days = request.args.get("days", 30, type=int)
        figures = dashboard_figures(current_viewer(), days=max(1, min(days, 90)))
        return self.render_template("dashboard.html", figures=figures)

