"""The rejection log (IMP-8): every rejected value with its reason, the original row one
click away, filters by file, module, reason and column, and "mark resolved"."""
import json

from flask import redirect, request
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.extensions import db
from app.models import ImportRejection
from app.models.tasks import utcnow
from app.security.filters import TENANT_BASE_FILTERS
from app.views.base import TenantModelView


class ImportRejectionView(TenantModelView):
    route_base = "/rejections"
    datamodel = SQLAInterface(ImportRejection)
    base_permissions = ["can_list", "can_show"]
    show_template = "rejection_show.html"
    list_columns = ["import_file", "module", "row", "column", "value", "reason", "message",
                    "resolved"]
    show_columns = ["import_file", "module", "row", "column", "field", "value", "reason",
                    "message", "resolved", "resolved_at"]
    search_columns = ["import_file", "module", "reason", "column", "field", "resolved"]
    search_form_query_rel_fields = {"import_file": TENANT_BASE_FILTERS,
                                    "organization": TENANT_BASE_FILTERS}
    order_columns = ["row", "column", "reason", "module"]
    base_order = ("id", "asc")
    label_columns = {"import_file": "File", "row": "Row", "message": "Reason"}
    page_size = 50

    @action("resolve", "Mark resolved", "Mark the selected rejections as resolved?",
            "fa-check", single=False)
    def resolve(self, items):
        items = items if isinstance(items, list) else [items]
        for item in items:
            self._check_write(item)
            item.resolved, item.resolved_at = True, utcnow()
        db.session.commit()
        self.update_redirect()
        return redirect(request.referrer or self.get_redirect())

    def show_original(self, item):
        header = json.loads(item.import_file.header_json or "[]")
        cells = json.loads(item.original or "[]")
        return list(zip(header, cells + [None] * (len(header) - len(cells))))

    def render_template(self, template, **kwargs):
        kwargs.setdefault("view", self)
        return super().render_template(template, **kwargs)
