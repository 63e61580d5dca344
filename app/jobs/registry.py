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

# What to do when the re-queue pass gives up on a task (its worker died running it
# MAX_ATTEMPTS times): the function, by path, called with the task's arguments.
GIVE_UP = {
    "app.jobs.imports.process_import": "app.jobs.imports.give_up_import",
}


def on_give_up(path, args):
    """Tell the task's own records that it will not run again (e.g. fail its import)."""
    handler = GIVE_UP.get(path)
    if handler is not None:
        module, _, name = handler.rpartition(".")
        getattr(importlib.import_module(module), name)(*args)


def resolve(path):
    if path not in ALLOWED:
        raise LookupError(f"not a registered job function: {path}")
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
