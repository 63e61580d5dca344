"""Document sync (INT-2, SYN-2, SYN-3, SYN-4): documents an integration pushes are taken
in as sync records (intake), applied oldest first when the sync settings say so (apply,
appliers), listed and retried (status), and applied at their scheduled time (schedule).

"Document sync" is only this: service pulls are app/services/service_pull.py and
consolidation for principals is app/services/consolidation.py (docs/glossary.md).
"""
from app.services.document_sync.apply import apply_pending, apply_records_job
from app.services.document_sync.intake import accept_documents, request_apply, shift_closed
from app.services.document_sync.schedule import run_due_syncs
from app.services.document_sync.settings import check_settings, settings_of, update_settings
from app.services.document_sync.status import record_entry, refresh, sync_now, sync_status

__all__ = ["accept_documents", "apply_pending", "apply_records_job", "check_settings",
           "record_entry", "refresh", "request_apply", "run_due_syncs", "settings_of",
           "shift_closed", "sync_now", "sync_status", "update_settings"]
