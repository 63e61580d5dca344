"""The Audit Trail screen (Admin only): every event, newest first, filtered by who, what,
when and organization. Read-only: the view offers no add, edit or delete."""
import json
import re

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup, escape

from app.models.audit import AuditEvent
from app.views.display import words

CODE = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")


def changes_table(text):
    """The changes as "column: before -> after" lines (escaped: the values are data)."""
    if not text:
        return ""
    lines = []
    for column, values in json.loads(text).items():
        if isinstance(values, list):
            before, after = values
            lines.append(f"{words(column)}: {_value(before)} \u2192 {_value(after)}")
        else:
            lines.append(f"{words(column)}: {words(values) if _is_code(values) else values}")
    return Markup("<pre>") + escape("\n".join(lines)) + Markup("</pre>")


def _value(value):
    """A changed value: a code ("accept_valid") in words, anything else as stored."""
    return json.dumps(words(value) if _is_code(value) else value)


def _is_code(value):
    return isinstance(value, str) and CODE.fullmatch(value) is not None


class AuditEventView(ModelView):
    datamodel = SQLAInterface(AuditEvent)
    base_permissions = ["can_list", "can_show"]
    show_title = "Audit event"
    base_order = ("at", "desc")
    page_size = 50
    list_columns = ["at", "actor", "address", "action", "entity", "entity_id",
                    "organization", "summary"]
    show_columns = list_columns + ["changes"]
    search_columns = ["actor", "action", "entity", "organization", "at", "address"]
    label_columns = {"at": "When", "actor": "Who", "address": "From", "entity": "What",
                     "entity_id": "Id", "organization": "Organization"}
    formatters_columns = {"changes": changes_table, "action": words, "entity": words,
                          "summary": lambda text: words(text) if _is_code(text) else text}
