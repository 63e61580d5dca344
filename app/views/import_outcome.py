"""What the progress page says about an import, worded here rather than in its script so
that counts read right ("1 row was rejected", "nothing was imported") in the user's
language, numbers grouped its way."""
from flask_babel import gettext as _
from flask_babel import ngettext

from app.i18n.formats import number_text
from app.i18n.message_words import message_words
from app.models.imports import ImportStatus
from app.models.tasks import utcnow


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
        return _("less than a minute") if seconds >= 10 else _("a few seconds")
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("about %(num)s minute", "about %(num)s minutes", minutes)
    hours, minutes = divmod(minutes, 60)
    if not minutes:
        return ngettext("about %(num)s hour", "about %(num)s hours", hours)
    return _("about %(hours)s %(minutes)s",
             hours=ngettext("%(num)s hour", "%(num)s hours", hours),
             minutes=ngettext("%(num)s minute", "%(num)s minutes", minutes))


def progress_line(imp, now=None):
    """The line under the bar while the job runs."""
    if imp.rows_total:
        read = _("%(done)s of about %(rows)s", done=number_text(imp.rows_done or 0),
                 rows=rows_words(imp.rows_total))
    else:
        read = rows_words(imp.rows_done or 0)
    line = _("%(state)s: %(read)s, %(accepted)s accepted, %(rejected)s rejected",
             state=str(imp.status.label), read=read, accepted=number_text(imp.accepted or 0),
             rejected=number_text(imp.rejected or 0))
    figures = speed(imp, now)
    if figures["rows_per_second"]:
        line += " · " + _("%(rate)s rows per second",
                          rate=number_text(round(figures["rows_per_second"])))
        if figures["seconds_left"] is not None:
            line += " · " + _("%(duration)s left",
                              duration=duration_words(figures["seconds_left"]))
    return line


def rows_words(n):
    """"1 row", "1,234 rows" (1.234 baris)."""
    return ngettext("%(count)s row", "%(count)s rows", n, count=number_text(n))


def records_words(n):
    return ngettext("%(count)s record", "%(count)s records", n, count=number_text(n))


def rejected_words(n):
    """"1 row was rejected", "2 rows were rejected"."""
    return ngettext("%(count)s row was rejected", "%(count)s rows were rejected", n,
                    count=number_text(n))


def outcome(imp, summary):
    """(alert style, sentence) of a finished import."""
    accepted, rejected = imp.accepted or 0, imp.rejected or 0
    note = f" {summary['note']}" if summary.get("note") else ""
    if imp.status == ImportStatus.failed:
        error = summary.get("error") or {}
        return "danger", _("The file could not be imported: %(reason)s",
                           reason=message_words(error.get("message", "")))
    if imp.status == ImportStatus.checked:
        return "info", checked_line(summary, rejected, note)
    if accepted == 0:
        why = rejected_words(rejected) if rejected else _("the file has no rows")
        return "warning", _("Nothing was imported: %(why)s.", why=why) + note
    if imp.status == ImportStatus.archived:
        return "success", _("Imported: %(records)s.", records=records_words(accepted))
    if imp.status == ImportStatus.imported:
        waiting = ngettext(
            "Imported: %(count)s row waits for consolidation (the principal's Sync All, or "
            "the daily run)",
            "Imported: %(count)s rows wait for consolidation (the principal's Sync All, or "
            "the daily run)", accepted, count=number_text(accepted))
        if rejected:
            return "info", f"{waiting}; {rejected_words(rejected)}."
        return "info", f"{waiting}."
    return "warning", ngettext(
        "%(rejected)s of %(records)s was not imported.",
        "%(rejected)s of %(records)s were not imported.", rejected,
        rejected=number_text(rejected), records=records_words(imp.rows_done or 0)) + note


def checked_line(summary, rejected, note=""):
    """What a check only found (issue 19): nothing was written."""
    return _("Checked, nothing written. An import would create %(create)s, update "
             "%(update)s and leave %(unchanged)s unchanged; %(rejected)s.",
             create=records_words(summary.get("would_create", 0)),
             update=number_text(summary.get("would_update", 0)),
             unchanged=number_text(summary.get("unchanged", 0)),
             rejected=rejected_words(rejected)) + note
