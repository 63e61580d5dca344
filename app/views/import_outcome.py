"""What the progress page says about an import, worded here rather than in its script so
that counts read right ("1 row was rejected", "nothing was imported")."""
from app.models.imports import ImportStatus
from app.models.tasks import utcnow
from app.views.wording import counted, were


def speed(imp, now=None):
    """{"rows_per_second", "seconds_left"} of a running import (None when not known yet:
    not started, nothing read, or no estimate of the rows)."""
    rate = left = None
    if imp.status == ImportStatus.processing and imp.started_at and imp.rows_done:
        elapsed = ((now or utcnow()) - imp.started_at).total_seconds()
        if elapsed > 0:
            rate = imp.rows_done / elapsed
            if imp.rows_total and imp.rows_total > imp.rows_done:
                left = (imp.rows_total - imp.rows_done) / rate
    return {"rows_per_second": rate, "seconds_left": left}


def duration_words(seconds):
    """About how long, in words: "less than a minute", "about 3 minutes", "about 1 hour 5
    minutes"."""
    if seconds < 60:
        return "less than a minute" if seconds >= 10 else "a few seconds"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {counted(minutes, 'minute')}"
    hours, minutes = divmod(minutes, 60)
    return f"about {counted(hours, 'hour')}" + (f" {counted(minutes, 'minute')}"
                                                  if minutes else "")


def progress_line(imp, now=None):
    """The line under the bar while the job runs."""
    read = (f"{imp.rows_done:,} of about {counted_rows(imp.rows_total)}" if imp.rows_total
            else counted_rows(imp.rows_done or 0))
    line = (f"{imp.status.label}: {read}, {imp.accepted or 0:,} accepted, "
            f"{imp.rejected or 0:,} rejected")
    figures = speed(imp, now)
    if figures["rows_per_second"]:
        line += f" · {figures['rows_per_second']:,.0f} rows per second"
        if figures["seconds_left"] is not None:
            line += f" · {duration_words(figures['seconds_left'])} left"
    return line


def counted_rows(n):
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


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
