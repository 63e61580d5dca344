"""Date filters that read a date the way Muara shows it (issue 16).

The framework turns a typed date into a value with dateutil, month first: "05/11/2026"
became 11 May and found nothing. A date column's filters here take the shown form
(05/11/2026, day first) or ISO (2026-11-05), in either language."""
from flask_appbuilder.models.sqla import filters as fab

from app.i18n.formats import parse_date_text


def _local_date(base):
    class LocalDate(base):
        def apply(self, query, value):
            if isinstance(value, str) and self.datamodel.is_date(self.column_name):
                value = parse_date_text(value) or value
            return super().apply(query, value)
    LocalDate.__name__ = base.__name__
    return LocalDate


class LocalFilterConverter(fab.SQLAFilterConverter):
    """The framework's choice of filters, with the date-reading ones for date columns."""
    conversion_table = tuple(
        (kind, [_local_date(f) for f in filters] if kind == "is_date" else filters)
        for kind, filters in fab.SQLAFilterConverter.conversion_table)
