"""Customer returns (RET-1): the returns with their details and texts as related views.
Searchable by number, customer, type and status. Admin may change them (e.g. set a
control lock); Importer and Supervisor read."""
import uuid

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from sqlalchemy import select

from app.extensions import db
from app.i18n.screens import menu_text
from app.models import CustomerReturn, CustomerReturnDetail, ReturnInfoText, ReturnTextAssignment
from app.security.filters import TENANT_BASE_FILTERS
from app.views.base import TenantModelView
from app.views.records import SHARED_WITH

# A return's states (app.models.returns.ReturnStatus.label), translated where shown.
menu_text("In preparation", "Released", "Blocked", "Invalid")


class _ChildView(TenantModelView):
    """A child row of a return: scoped, and written, as its return is."""
    search_form_query_rel_fields = {"customer_return": TENANT_BASE_FILTERS}
    add_form_query_rel_fields = {"customer_return": TENANT_BASE_FILTERS}
    edit_form_query_rel_fields = {"customer_return": TENANT_BASE_FILTERS}

    def owning_org_id(self, item):
        ret = item.customer_return or db.session.get(CustomerReturn, item.return_id)
        return ret.organization_id if ret else None


class CustomerReturnDetailView(_ChildView):
    datamodel = SQLAInterface(CustomerReturnDetail)
    list_columns = ["customer_return", "number", "item", "quantity", "uom", "canceled", "status"]
    show_columns = list_columns + ["guid"]
    add_columns = ["customer_return", "number", "item", "quantity", "uom", "status"]
    edit_columns = ["number", "item", "quantity", "uom", "canceled", "status"]
    search_columns = ["customer_return", "number", "item", "canceled", "status"]
    base_order = ("number", "asc")
    label_columns = {"customer_return": "Customer return", "uom": "Unit"}

    def pre_add(self, item):
        item.guid = item.guid or str(uuid.uuid4())
        super().pre_add(item)


class ReturnInfoTextView(_ChildView):
    datamodel = SQLAInterface(ReturnInfoText)
    list_columns = ["customer_return", "owner", "language", "content_type", "text"]
    show_columns = list_columns
    add_columns = ["customer_return", "language", "content_type", "text"]
    edit_columns = ["language", "content_type", "text"]
    search_columns = ["customer_return", "language", "text"]
    label_columns = {"customer_return": "Customer return", "owner": "Of"}


class ReturnTextAssignmentView(_ChildView):
    datamodel = SQLAInterface(ReturnTextAssignment)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["customer_return", "owner", "number", "type", "code", "texts_text"]
    show_columns = list_columns + ["document"]
    search_columns = ["customer_return", "number", "type", "code"]
    label_columns = {"customer_return": "Customer return", "owner": "Of",
                     "texts_text": "Texts"}


class CustomerReturnView(TenantModelView):
    help_topic = "customer-returns"
    datamodel = SQLAInterface(CustomerReturn)
    related_views = [CustomerReturnDetailView, ReturnInfoTextView, ReturnTextAssignmentView]
    show_template = "appbuilder/general/model/show_cascade.html"
    list_columns = ["organization", "type", "number", "partner", "customer", "date",
                    "status_name", "control_lock"]
    show_columns = list_columns + ["guid", "control_lock_reason", "import_id", "principal"]
    add_columns = ["organization", "type", "number", "partner", "customer", "date", "status",
                   "control_lock", "control_lock_reason"]
    edit_columns = ["customer", "date", "status", "control_lock", "control_lock_reason"]
    search_columns = ["number", "customer", "type", "status", "partner", "date",
                      "control_lock", "organization"]
    order_columns = ["number", "date", "control_lock"]
    base_order = ("id", "desc")
    label_columns = {"type": "Return type", "partner": "Sales organization",
                     "status_name": "Status", "import_id": "Last import",
                     "principal": SHARED_WITH}
    formatters_columns = {"status_name": gettext}  # a return's state in the reader's words
    add_form_query_rel_fields = dict(TenantModelView.add_form_query_rel_fields,
                                     customer=TENANT_BASE_FILTERS, type=TENANT_BASE_FILTERS,
                                     partner=TENANT_BASE_FILTERS)
    edit_form_query_rel_fields = dict(TenantModelView.edit_form_query_rel_fields,
                                      customer=TENANT_BASE_FILTERS)

    def pre_add(self, item):
        super().pre_add(item)
        item.guid = item.guid or str(uuid.uuid4())
        if not item.number and item.type is not None:
            ret_type = item.type
            while True:
                candidate = (f"{ret_type.number_prefix or ''}"
                             f"{ret_type.next_number:0{ret_type.number_width or 1}d}")
                ret_type.next_number += 1
                if not db.session.execute(select(CustomerReturn.id).where(
                        CustomerReturn.type_id == ret_type.id,
                        CustomerReturn.number == candidate)).first():
                    item.number = candidate
                    break
