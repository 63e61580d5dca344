"""The job functions a task may name. Only these can run: a task row never names
arbitrary code."""
import importlib

ALLOWED = {
    "app.jobs.diagnostics.echo",
    "app.jobs.imports.process_import",
    "app.jobs.consolidation.sync_all",
    "app.jobs.consolidation.daily_run",
    "app.jobs.consolidation.consolidate_one",
    "app.jobs.consolidation.purge",
    "app.jobs.sync.apply_records",
    "app.jobs.sync.run_due_syncs_job",
    "app.jobs.service_sync.sync_service",
}


def resolve(path):
    if path not in ALLOWED:
        raise LookupError(f"not a registered job function: {path}")
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
