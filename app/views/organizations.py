"""Organizations and their master data (ORG-1)."""
from flask import flash
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import ngettext

from app.models import Customer, Location, Organization, Product
from app.models.organizations import OrgKind
from app.views.base import TenantModelView


class OrganizationView(TenantModelView):
    datamodel = SQLAInterface(Organization)
    list_columns = ["code", "name", "kind", "multi_location"]
    show_columns = ["code", "name", "kind", "multi_location", "locations"]
    add_columns = edit_columns = ["code", "name", "kind", "multi_location"]
    search_columns = ["code", "name", "kind", "multi_location"]
    order_columns = ["code", "name", "kind"]
    base_order = ("code", "asc")
    label_columns = {"multi_location": "Multi-location"}
    add_form_query_rel_fields = edit_form_query_rel_fields = {}

    def owning_org_id(self, item):
        return item.id

    def post_add(self, item):
        """A new distributor gets every module's default template (TPL-3), so it can
        import at once; staff adapt them in Mapper Templates."""
        if item.kind == OrgKind.distributor:
            from app.services.templates import add_default_templates
            made = add_default_templates(item)
            flash(ngettext("%(num)s default mapper template added for %(org)s.",
                           "%(num)s default mapper templates added for %(org)s.", len(made),
                           org=item.code), "info")


class LocationView(TenantModelView):
    datamodel = SQLAInterface(Location)
    list_columns = ["organization", "code", "name"]
    add_columns = edit_columns = show_columns = ["organization", "code", "name"]
    search_columns = ["organization", "code", "name"]
    base_order = ("code", "asc")


class CustomerView(TenantModelView):
    datamodel = SQLAInterface(Customer)
    list_columns = ["organization", "code", "name", "balance"]
    show_columns = ["organization", "code", "name", "balance"]
    add_columns = edit_columns = ["organization", "code", "name"]
    search_columns = ["organization", "code", "name", "balance"]
    base_order = ("code", "asc")


class ProductView(TenantModelView):
    datamodel = SQLAInterface(Product)
    list_columns = ["organization", "code", "name", "unit"]
    add_columns = edit_columns = show_columns = ["organization", "code", "name", "unit"]
    search_columns = ["organization", "code", "name", "unit"]
    base_order = ("code", "asc")
