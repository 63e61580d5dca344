"""Connections to principals (CON-1) and integrations (INT-1)."""
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.i18n.formats import zone_now
from app.models import Connection, Integration
from app.models.integrations import (
    INTEGRATION_KIND_LABELS,
    SYNC_MODE_LABELS,
    IntegrationKind,
    SyncMode,
)
from app.models.organizations import OrgKind
from app.security.filters import TENANT_BASE_FILTERS, WRITABLE_ORGS
from app.services.directory import check_connection_sides
from app.services.document_sync.settings import check_settings
from app.views.base import TenantModelView


class _Zone:
    """The reader's time zone by its name (WIB), read when a help text is shown."""

    def __str__(self):
        return zone_now()


ZONE = _Zone()
DISTRIBUTORS = [["kind", FilterEqual, OrgKind.distributor]]
PRINCIPALS = [["kind", FilterEqual, OrgKind.principal]]


class ConnectionView(TenantModelView):
    datamodel = SQLAInterface(Connection)
    list_columns = ["distributor", "principal", "active"]
    add_columns = edit_columns = show_columns = ["distributor", "principal", "active"]
    search_columns = ["distributor", "principal", "active"]
    # A connection is the distributor's: its side offers only the distributors the user
    # may act for (an Organization Admin: its own); every principal may be connected to.
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "distributor": DISTRIBUTORS + WRITABLE_ORGS, "principal": PRINCIPALS}
    search_form_query_rel_fields = {"distributor": TENANT_BASE_FILTERS,
                                    "principal": TENANT_BASE_FILTERS}

    def owning_org_id(self, item):
        return item.distributor.id if item.distributor else item.distributor_id

    def pre_add(self, item):
        super().pre_add(item)
        check_connection_sides(item.distributor, item.principal)

    def pre_update(self, item):
        super().pre_update(item)
        check_connection_sides(item.distributor, item.principal)


SYNC_SETTINGS = ["sync_mode", "sync_time", "transfer_sync_enabled", "transfer_sync_time",
                 "use_source_customer_id"]


class IntegrationView(TenantModelView):
    help_topic = "sync-settings"
    datamodel = SQLAInterface(Integration)
    list_columns = ["organization", "name", "kind", "active", "sync_mode"]
    add_columns = edit_columns = show_columns = ["organization", "name", "kind", "active",
                                                 *SYNC_SETTINGS]
    search_columns = ["organization", "name", "kind", "active"]
    base_order = ("name", "asc")
    # Buttons to the synchronization status and, for OAuth services, the service connection.
    show_template = "integration_show.html"
    label_columns = {
        "sync_mode": "Sync mode",
        "sync_time": "Scheduled sync time",
        "transfer_sync_enabled": "Enable automatic transfer synchronization",
        "transfer_sync_time": "Transfer sync time",
        "use_source_customer_id": "Use the id in customer data as the customer code",
    }
    description_columns = {
        "sync_mode": _l("When sales transactions and stock adjustments are applied: "
                        "Synchronize real time = as they arrive; Synchronize on register "
                        "shift closing = when the source signals a register shift closed; "
                        "Sync on scheduled time = every day at the scheduled sync time."),
        "sync_time": _l("HH:MM, 24 hours, local time, %(zone)s (for Sync on scheduled time).",
                        zone=ZONE),
        "transfer_sync_enabled": _l("Transfers and stock opnames: on = every day at the "
                                    "transfer sync time; off = only by hand (Sync transfers "
                                    "now)."),
        "transfer_sync_time": _l("HH:MM, 24 hours, local time, %(zone)s.", zone=ZONE),
        "use_source_customer_id": _l("On: a customer's code is its id in the source (a "
                                     "customer without an id still gets a generated code). "
                                     "Off: codes are generated."),
    }

    # The choices in words, as the list and show pages give them.
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField("Kind", validators=[DataRequired()],
                            choices=[(k.value, label) for k, label
                                     in INTEGRATION_KIND_LABELS.items()],
                            default=IntegrationKind.external.value),
        "sync_mode": SelectField("Sync mode", validators=[DataRequired()],
                                 choices=[(m.value, label) for m, label
                                          in SYNC_MODE_LABELS.items()],
                                 default=SyncMode.realtime.value,
                                 description=description_columns["sync_mode"]),
    }

    def pre_add(self, item):
        super().pre_add(item)
        check_settings(item)

    def pre_update(self, item):
        super().pre_update(item)
        check_settings(item)

    def render_template(self, template, **kwargs):
        if template == self.show_template and "pk" in kwargs:
            kwargs["integration"] = self.datamodel.get(kwargs["pk"], self._base_filters)
        return super().render_template(template, **kwargs)
