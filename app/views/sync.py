"""Synchronization status (SYN-2, seed 001): a panel per integration with its runs,
"View details" per run, the reason of a failed record one click away, "Refresh" for
one failed record or all of them, and "Sync transfers now" (INT-2)."""
import json

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.errors import MuaraError
from app.extensions import db
from app.models import Integration
from app.models.sync import SyncRecord, SyncRun, SyncStatus
from app.security.tenancy import current_viewer, may_write_org, scope
from app.services import document_sync
from app.services.sync_files import FILE_KIND, import_id_of
from app.views.base import visible_or_404
from app.views.pages import PageView

RUNS_SHOWN = 50


class SyncStatusView(PageView):
    help_topic = "sync-settings"
    route_base = "/sync-status"

    @expose("/")
    @has_access
    def index(self):
        """Every visible integration with its records counted by status."""
        integrations = db.session.execute(
            scope(select(Integration), Integration, current_viewer())
            .order_by(Integration.name)).scalars().all()
        counts = {}
        if integrations:
            for integration_id, status, count in db.session.execute(
                    select(SyncRecord.integration_id, SyncRecord.status, func.count())
                    .where(SyncRecord.integration_id.in_([i.id for i in integrations]))
                    .group_by(SyncRecord.integration_id, SyncRecord.status)):
                counts.setdefault(integration_id, {})[str(status)] = count
        return self.render_template("sync_index.html", integrations=integrations, counts=counts)

    @expose("/integration/<int:pk>")
    @has_access
    def panel(self, pk):
        integration = visible_or_404(Integration, pk)
        runs = db.session.execute(
            select(SyncRun).where(SyncRun.integration_id == pk)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(RUNS_SHOWN)).scalars().all()
        failed = _records(SyncRecord.integration_id == pk, SyncRecord.status == SyncStatus.failed)
        pending = db.session.execute(
            select(func.count()).select_from(SyncRecord)
            .where(SyncRecord.integration_id == pk,
                   SyncRecord.status == SyncStatus.pending)).scalar()
        return self.render_template(
            "sync_panel.html", integration=integration, runs=runs, failed=failed,
            pending=pending, settings=document_sync.settings_of(integration),
            may_write=may_write_org(current_viewer(), integration.organization_id))

    @expose("/run/<int:pk>")
    @has_access
    def run(self, pk):
        """View details: the records of one run, oldest first."""
        sync_run = visible_or_404(SyncRun, pk)
        records = _records(SyncRecord.run_id == pk)
        return self.render_template("sync_run.html", run=sync_run, records=records,
                                    integration=sync_run.integration)

    @expose("/record/<int:pk>")
    @has_access
    def record(self, pk):
        """One record: its reason in full and the document as received."""
        sync_record = visible_or_404(SyncRecord, pk)
        payload = json.dumps(json.loads(sync_record.payload or "null"), indent=2)
        import_id = import_id_of(sync_record) if sync_record.kind == FILE_KIND else None
        return self.render_template("sync_record.html", record=sync_record, payload=payload,
                                    import_id=import_id,
                                    integration=sync_record.integration,
                                    may_write=may_write_org(current_viewer(),
                                                            sync_record.organization_id))

    @expose("/integration/<int:pk>/refresh", methods=["POST"])
    @has_access
    def refresh(self, pk):
        """Retry one failed record (record_id) or every failed one, oldest first."""
        integration = self._writable(pk)
        record_id = request.form.get("record_id", type=int)
        done = _run_and_tell(document_sync.refresh, (integration, record_id), _("Refreshed"))
        if done and record_id is not None:
            return redirect(url_for("SyncStatusView.record", pk=record_id))
        return redirect(url_for("SyncStatusView.panel", pk=pk))

    @expose("/integration/<int:pk>/sync-now", methods=["POST"])
    @has_access
    def sync_now(self, pk):
        """Apply waiting records by hand (transfers only, or everything waiting)."""
        integration = self._writable(pk)
        transfers_only = request.form.get("transfers") == "1"
        _run_and_tell(document_sync.sync_now, (integration, transfers_only), _("Synchronized"))
        return redirect(url_for("SyncStatusView.panel", pk=pk))

    @staticmethod
    def _writable(pk):
        integration = visible_or_404(Integration, pk)
        if not may_write_org(current_viewer(), integration.organization_id):
            abort(403)
        return integration


def _records(*criteria):
    return db.session.execute(select(SyncRecord).where(*criteria)
                              .order_by(SyncRecord.document_date, SyncRecord.id)).scalars().all()


def _run_and_tell(action, args, verb):
    """Run a document-sync action and flash its outcome; False when it was refused."""
    try:
        result = action(*args)
    except MuaraError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return False
    _flash_result(result, verb)
    return True


def _flash_result(result, verb):
    files = result.get("files_queued", 0)
    if files:
        flash(ngettext("%(num)s file queued to be imported again; the file's status follows "
                       "its import.",
                       "%(num)s files queued to be imported again; the file's status follows "
                       "its import.", files), "info")
    if not result["run_ids"]:
        if not files:
            flash(_("Nothing to synchronize."), "info")
        return
    category = "warning" if result["failed"] else "success"
    flash(_("%(verb)s: %(succeeded)s succeeded, %(failed)s failed.", verb=verb,
            succeeded=result["succeeded"], failed=result["failed"]), category)
