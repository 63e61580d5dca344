"""Connections to principals (CON-1) and integrations (INT-1)."""
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Connection, Integration
from app.models.organizations import OrgKind
from app.services.directory import check_connection_sides
from app.security.filters import TENANT_BASE_FILTERS
from app.views.base import TenantModelView

DISTRIBUTORS = [["kind", FilterEqual, OrgKind.distributor]]
PRINCIPALS = [["kind", FilterEqual, OrgKind.principal]]


class ConnectionView(TenantModelView):
    datamodel = SQLAInterface(Connection)
    list_columns = ["distributor", "principal", "active"]
    add_columns = edit_columns = show_columns = ["distributor", "principal", "active"]
    search_columns = ["distributor", "principal", "active"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "distributor": DISTRIBUTORS, "principal": PRINCIPALS}
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


class IntegrationView(TenantModelView):
    datamodel = SQLAInterface(Integration)
    list_columns = ["organization", "name", "kind", "active"]
    add_columns = edit_columns = show_columns = ["organization", "name", "kind", "active"]
    search_columns = ["organization", "name", "kind", "active"]
    base_order = ("name", "asc")
    # A link to the service connection (INT-3) for integrations with an OAuth service.
    show_template = "integration_show.html"

    def render_template(self, template, **kwargs):
        if template == self.show_template and "pk" in kwargs:
            kwargs["integration"] = self.datamodel.get(kwargs["pk"], self._base_filters)
        return super().render_template(template, **kwargs)
