"""A form's date input that reads and writes dates the way the page shows them (issue 16):
the calendar (static/js/dates.js) writes 05/11/2026 in Indonesian and 2026-11-05 in
English, and either is accepted whatever the language (app.i18n.formats.parse_date_text);
the stored value is shown in the reader's form."""
from flask_appbuilder.fieldwidgets import DatePickerWidget
from markupsafe import Markup
from wtforms import DateField
from wtforms.widgets import html_params

from app.i18n import formats


class LocalDatePickerWidget(DatePickerWidget):
    """The framework's calendar input, its value written by the field (the framework's
    writes the date's ISO form)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("name", field.name)
        return Markup(self.data_template % {
            "text": html_params(type="text", value=field._value(), **kwargs)})


class LocalDateField(DateField):
    def __init__(self, *args, **kwargs):
        if isinstance(kwargs.get("widget"), DatePickerWidget):
            kwargs["widget"] = LocalDatePickerWidget()
        super().__init__(*args, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return formats.date_text(self.data) if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        self.data = formats.parse_date_text(text) if text else None
        if text and self.data is None:
            raise ValueError(self.gettext("Not a valid date value."))
