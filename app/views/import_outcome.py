"""What the progress page says about an import, worded here rather than in its script so
that counts read right ("1 row was rejected", "nothing was imported")."""
from app.models.imports import ImportStatus
from app.views.wording import counted, were


def progress_line(imp):
    """The line under the bar while the job runs."""
    read = (f"{imp.rows_done} of about {counted(imp.rows_total, 'row')}" if imp.rows_total
            else counted(imp.rows_done or 0, "row"))
    return (f"{imp.status.label}: {read}, {imp.accepted or 0} accepted, "
            f"{imp.rejected or 0} rejected")


def outcome(imp, summary):
    """(alert style, sentence) of a finished import."""
    accepted, rejected = imp.accepted or 0, imp.rejected or 0
    note = f" {summary['note']}" if summary.get("note") else ""
    if imp.status == ImportStatus.failed:
        error = summary.get("error") or {}
        return "danger", f"The file could not be imported: {error.get('message', '')}"
    if imp.status == ImportStatus.checked:
        return "info", checked_line(summary, rejected, note)
    if accepted == 0:
        why = (f"{counted(rejected, 'row')} {were(rejected)} rejected" if rejected
               else "the file has no rows")
        return "warning", f"Nothing was imported: {why}.{note}"
    if imp.status == ImportStatus.archived:
        return "success", f"Imported: {counted(accepted, 'record')}."
    if imp.status == ImportStatus.imported:
        waiting = (f"Imported: {counted(accepted, 'row')} {'waits' if accepted == 1 else 'wait'}"
                   " for consolidation (the principal's Sync All, or the daily run)")
        if rejected:
            return "info", f"{waiting}; {counted(rejected, 'row')} {were(rejected)} rejected."
        return "info", f"{waiting}."
    return "warning", (f"{rejected} of {counted(imp.rows_done or 0, 'record')} "
                       f"{were(rejected)} not imported.{note}")


def checked_line(summary, rejected, note=""):
    """What a check only found (issue 19): nothing was written."""
    return (f"Checked, nothing written. An import would create "
            f"{counted(summary.get('would_create', 0), 'record')}, update "
            f"{summary.get('would_update', 0)} and leave {summary.get('unchanged', 0)} "
            f"unchanged; {counted(rejected, 'row')} {were(rejected)} rejected.{note}")
