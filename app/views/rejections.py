"""The rejection log (IMP-8): every rejected value with its reason, the original row one
click away, filters by file, module, reason and column, and "mark resolved"."""
import json

from flask import abort, redirect, request
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import select

from app.extensions import db
from app.i18n.message_words import message_words, severity_words
from app.i18n.screens import screen_text
from app.importing.modules import XML_MODULES
from app.models import ImportFile, ImportRejection
from app.security.filters import TENANT_BASE_FILTERS
from app.security.scoped_actions import ScopedActions
from app.security.tenancy import current_viewer, scope, writable_criterion
from app.services import fixes
from app.services.rejections import REASON_COUNT_LIMIT, reason_counts, resolve_rejections
from app.views.base import TenantModelView
from app.views.counting import capped
from app.views.display import shown
from app.views.wording import module_words, reason_words

# The list's URL filters (FAB: the n-th filter of the column's type; 3 = "equal to" for text).
FILE_FILTER = "_flt_0_import_file"
REASON_FILTER = "_flt_3_reason"
# A customer-returns message names its return by number (issue 17 item 10): this column
# stands where the others have the row.
RETURN_COLUMN = "return_shown"
# ... and its column is an element of the XML: labelled so.
ELEMENT_LABEL = screen_text("Element")


def _return_for_row(columns):
    return [RETURN_COLUMN if column == "row" else column for column in columns]


class ImportRejectionView(ScopedActions, TenantModelView):
    help_topic = "rejections"
    route_base = "/rejections"
    list_title = "Rejection Log"
    show_title = "Rejection"
    datamodel = SQLAInterface(ImportRejection)
    base_permissions = ["can_list", "can_show"]
    show_template = "rejection_show.html"
    list_template = "rejections_list.html"
    # Both "row" and the return are read; one of them is shown (_get_list_widget).
    list_columns = ["import_file", "module", "row", RETURN_COLUMN, "column", "value",
                    "severity", "reason", "message", "resolved", "resolved_by"]
    show_columns = ["import_file", "module", "row", "column", "field", "value", "severity",
                    "reason", "message", "resolved", "resolved_at", "resolved_by"]
    search_columns = ["import_file", "module", "severity", "reason", "column", "field",
                      "resolved"]
    search_form_query_rel_fields = {"import_file": TENANT_BASE_FILTERS,
                                    "organization": TENANT_BASE_FILTERS}
    order_columns = ["row", "column", "reason", "module"]
    base_order = ("id", "asc")
    # "reason" is the stable code, "message" the sentence: both were labelled "Reason".
    # Customer returns log info and warnings too: severity tells them from rejections.
    label_columns = {"import_file": "File", "row": "Row", RETURN_COLUMN: "Return",
                     "reason": "Reason code",
                     "message": "Reason", "severity": "Severity",
                     "resolved_by": "Resolved by file"}
    formatters_columns = {"module": module_words, "reason": reason_words,
                          "resolved_by": lambda imp: "" if imp is None
                          else f"#{imp.id} {imp.filename}",
                          "value": lambda value: "" if value is None else value,
                          "message": message_words, "severity": severity_words}
    page_size = 50

    def _get_list_widget(self, filters, **kwargs):
        """The list of a customer-returns file names each message's return in a "Return"
        column instead of the row; every other list keeps the row."""
        widgets = super()._get_list_widget(filters, **kwargs)
        args = widgets["list"].template_args
        chosen = self._chosen_file()
        returns = chosen is not None and chosen.module in XML_MODULES
        args["include_columns"] = [column for column in args["include_columns"]
                                   if column != ("row" if returns else RETURN_COLUMN)]
        if returns:
            args["label_columns"] = self._labels_of_returns()
        return widgets

    def _labels_of_returns(self):
        return {**self.label_columns, "column": ELEMENT_LABEL}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        """A customer-returns message shows its return where a rejection shows its row."""
        widgets = widgets or {}
        returns = self.is_message_of_return(item)
        columns = _return_for_row(self.show_columns) if returns else self.show_columns
        widgets["show"] = self.show_widget(
            pk=pk, label_columns=self._labels_of_returns() if returns else self.label_columns,
            include_columns=columns,
            value_columns=self.datamodel.get_values_item(item, columns),
            formatters_columns=self.formatters_columns, actions=actions or self.actions,
            fieldsets=show_fieldsets or self.show_fieldsets,
            modelview_name=self.__class__.__name__)
        return widgets

    @staticmethod
    def is_message_of_return(item):
        return item is not None and item.module in XML_MODULES

    @staticmethod
    def _chosen_file():
        """The file the list is filtered by, when the viewer may see it; else None."""
        pk = request.args.get(FILE_FILTER, "")
        if not pk.isdigit():
            return None
        return db.session.execute(scope(
            select(ImportFile).where(ImportFile.id == int(pk)), ImportFile,
            current_viewer())).scalar()

    @action("resolve", "Mark resolved", "Mark the selected rejections as resolved?",
            "fa-check", single=False)
    def resolve(self, items):
        items = items if isinstance(items, list) else [items]
        if not items:
            return redirect(request.referrer or self.get_redirect())
        for item in items:
            if item is None:  # FAB's single-row /action/<name>/<pk> route does not filter
                abort(404)
            self._check_write(item)
        resolve_rejections(items)
        self.update_redirect()
        return redirect(request.referrer or self.get_redirect())

    def show_original(self, item):
        header = json.loads(item.import_file.header_json or "[]")
        cells = json.loads(item.original or "[]")
        return [(column, shown(cell))
                for column, cell in zip(header, cells + [None] * (len(header) - len(cells)),
                                        strict=False)]

    def file_to_fix(self):
        """The file the log is filtered by, when the user may fix its rows in the browser
        and some are left (issue 19); else None."""
        pk = request.args.get("_flt_0_import_file", "")
        if not pk.isdigit() or not self.appbuilder.sm.has_access("can_fix", "FixRowsView"):
            return None
        imp = db.session.execute(scope(select(ImportFile).where(ImportFile.id == int(pk)),
                                       ImportFile, current_viewer(), writable_criterion)).scalar()
        return imp if imp is not None and fixes.family(imp)["fixable"] else None

    def render_template(self, template, **kwargs):
        kwargs.setdefault("view", self)
        if template == self.list_template:
            kwargs["title"] = self._list_title_for_request(kwargs.get("title"))
            kwargs.update(self._filter_bar())
        return super().render_template(template, **kwargs)

    def _filter_bar(self):
        """The filters shown above the list, not in the collapsed search panel: the file
        (as the progress page and the file page link here) and a choice of the reasons
        present (issue 17)."""
        chosen_file = self._chosen_file()  # only a file the viewer may see is named
        reasons = [(code, reason_words(code), capped(count, REASON_COUNT_LIMIT))
                   for code, count in reason_counts(chosen_file.id if chosen_file else None)]
        return {"chosen_file": chosen_file, "reasons": reasons,
                "chosen_reason": request.args.get(REASON_FILTER, ""),
                "file_filter": FILE_FILTER, "reason_filter": REASON_FILTER}

    def _list_title_for_request(self, title):
        """A customer returns file's log is a message log (info, warnings and errors per
        return), not a rejection log: titled so, with the file's name."""
        imp = self._chosen_file()
        if imp is None:
            return title
        if imp.module in XML_MODULES:
            return f"Message log: {imp.filename}"
        return f"{title}: {imp.filename}"
