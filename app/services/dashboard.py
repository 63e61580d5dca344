"""The dashboard's figures (principals and admins): files per state, records consolidated
per day per distributor, rejection rate per distributor, over the files the viewer may
see, with the geometry of their SVG bar charts (drawn by templates/dashboard.html)."""
import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.models import ImportFile, Organization
from app.models.imports import ImportStatus
from app.models.tasks import utcnow
from app.security.tenancy import Viewer, scope

PALETTE = ("#337ab7", "#5cb85c", "#f0ad4e", "#d9534f", "#5bc0de", "#8e6cbf", "#777777")
# A state keeps its colour whichever states are shown: done is green, needs a look amber,
# failed red, still on its way grey or blue.
STATUS_COLORS = {
    ImportStatus.imported: "#777777",
    ImportStatus.processing: "#337ab7",
    ImportStatus.archived: "#5cb85c",
    ImportStatus.needs_attention: "#f0ad4e",
    ImportStatus.failed: "#d9534f",
}
# States shown only when some file is in them (issue 19: check only and undo).
OCCASIONAL_COLORS = {
    ImportStatus.checked: "#5bc0de",
    ImportStatus.undoing: "#8e6cbf",
    ImportStatus.undone: "#8e6cbf",
}
CHART_WIDTH, BAR_HEIGHT, PLOT_HEIGHT = 600, 22, 160


def dashboard_figures(viewer: Viewer, days: int = 30, today: dt.date | None = None) -> dict:
    files = scope(select(ImportFile), ImportFile, viewer).subquery()
    states = dict(db.session.execute(
        select(files.c.status, func.count()).group_by(files.c.status)).all())
    state_rows = [(status.label, states.get(status, 0))
                  for status in ImportStatus
                  if status in STATUS_COLORS or states.get(status)]

    today = today or utcnow().date()
    since = today - dt.timedelta(days=days - 1)
    per_day = db.session.execute(
        select(func.date(files.c.consolidated_at), Organization.code,
               func.sum(files.c.consolidated_records))
        .join(Organization, Organization.id == files.c.organization_id)
        .where(files.c.consolidated_at >= dt.datetime.combine(since, dt.time()))
        .group_by(func.date(files.c.consolidated_at), Organization.code)).all()
    consolidated = {}
    for day, code, records in per_day:
        consolidated.setdefault(str(day)[:10], {})[code] = int(records or 0)

    rates = db.session.execute(
        select(Organization.code, func.sum(files.c.rows_done), func.sum(files.c.rejected))
        .join(Organization, Organization.id == files.c.organization_id)
        .group_by(Organization.code).order_by(Organization.code)).all()
    rejection_rows = [(code, int(rejected or 0), int(rows or 0),
                       round(100.0 * (rejected or 0) / rows, 1) if rows else 0.0)
                      for code, rows, rejected in rates]
    return {
        "days": days,
        "states": state_rows,
        "states_chart": horizontal_bars(
            [(label, n, str(n)) for label, n in state_rows],
            colors={status.label: color
                    for status, color in {**STATUS_COLORS, **OCCASIONAL_COLORS}.items()}),
        "consolidated": consolidated,
        "consolidated_chart": stacked_days(consolidated, since, today),
        "rejections": rejection_rows,
        "rejections_chart": horizontal_bars(
            [(code, rate, f"{rate}% ({rejected} of {rows})")
             for code, rejected, rows, rate in rejection_rows], maximum=100),
    }


def horizontal_bars(items: list[tuple], maximum: float | None = None,
                    colors: dict | None = None) -> dict:
    """[(label, value, text)] -> bars with their SVG geometry; `colors` fixes a label's
    colour, the others take the palette's in turn."""
    top = maximum or max([value for _, value, _ in items] + [1])
    label_width = 140
    span = CHART_WIDTH - label_width - 120
    bars = [{"label": label, "text": text, "y": n * (BAR_HEIGHT + 6),
             "x": label_width, "width": round(span * value / top, 1) if top else 0,
             "color": (colors or {}).get(label, PALETTE[n % len(PALETTE)])}
            for n, (label, value, text) in enumerate(items)]
    return {"bars": bars, "width": CHART_WIDTH, "height": max(len(bars), 1) * (BAR_HEIGHT + 6),
            "bar_height": BAR_HEIGHT}


def stacked_days(consolidated: dict, since: dt.date, today: dt.date) -> dict:
    """One stacked bar per day (segments per distributor), with a legend."""
    codes = sorted({code for per in consolidated.values() for code in per})
    colors = {code: PALETTE[n % len(PALETTE)] for n, code in enumerate(codes)}
    days = [since + dt.timedelta(days=n) for n in range((today - since).days + 1)]
    top = max([sum(per.values()) for per in consolidated.values()] + [1])
    slot = CHART_WIDTH / len(days)
    columns = []
    for n, day in enumerate(days):
        per = consolidated.get(day.isoformat(), {})
        y = PLOT_HEIGHT
        segments = []
        for code in codes:
            if per.get(code):
                height = round(PLOT_HEIGHT * per[code] / top, 1)
                y -= height
                segments.append({"code": code, "records": per[code], "y": round(y, 1),
                                 "height": height, "color": colors[code]})
        columns.append({"day": day.isoformat(), "x": round(n * slot + 1, 1),
                        "width": round(max(slot - 2, 1), 1), "segments": segments,
                        "total": sum(per.values())})
    return {"columns": columns, "width": CHART_WIDTH, "height": PLOT_HEIGHT, "top": top,
            "legend": [(code, colors[code]) for code in codes]}
