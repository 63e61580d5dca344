"""API keys (SYN-4): list, revoke, and "Create key", whose secret is shown once on the
result page and never again (only its hash is kept; app/services/apikeys.py makes it, as
for `muara apikey create`, and the audit trail records it)."""
from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Integration
from app.models.apikeys import IntegrationKey
from app.security.filters import TENANT_BASE_FILTERS
from app.security.scoped_actions import ScopedActions
from app.security.tenancy import current_viewer, may_write_org, scope
from app.services.apikeys import create_key, revoke_keys
from app.views.base import visible_or_404


class IntegrationKeyView(ScopedActions, ModelView):
    """API keys (Admin, and an Organization Admin for its own organization's): list,
    revoke and create. A key is shown once, when it is made."""
    datamodel = SQLAInterface(IntegrationKey)
    route_base = "/api-keys"
    base_filters = TENANT_BASE_FILTERS
    search_form_query_rel_fields = {"integration": TENANT_BASE_FILTERS,
                                    "organization": TENANT_BASE_FILTERS}
    base_permissions = ["can_list", "can_show", "can_create_key"]
    list_columns = ["integration", "organization", "prefix", "created_at", "revoked_at"]
    show_columns = list_columns
    search_columns = ["integration", "organization", "revoked_at"]
    label_columns = {"prefix": "Key starts with", "created_at": "Created",
                     "revoked_at": "Revoked"}
    base_order = ("id", "desc")
    list_template = "apikey_list.html"

    @action("revoke", "Revoke", "Revoke the selected keys? Systems using them are refused at once.",
            "fa-ban", multiple=True, single=False)
    def revoke(self, items):
        items = items if isinstance(items, list) else [items]
        viewer = current_viewer()
        if not all(may_write_org(viewer, item.organization_id) for item in items):
            abort(403)
        revoked = revoke_keys(items)
        flash(_("%(count)s API key(s) revoked.", count=revoked), "success")
        return redirect(url_for("IntegrationKeyView.list"))

    @expose("/create", methods=["GET", "POST"])
    @has_access
    def create_key(self):
        """GET: choose the integration. POST: make the key and show it, this once."""
        integrations = _writable_integrations()
        if request.method == "GET":
            return self.render_template("apikey_create.html", integrations=integrations,
                                        chosen=request.args.get("integration", type=int))
        integration = visible_or_404(Integration, request.form.get("integration", type=int))
        if not may_write_org(current_viewer(), integration.organization_id):
            abort(403)
        if not integration.active:
            flash(_("%(name)s is inactive: activate it before giving it a key.",
                    name=integration.name), "danger")
            return redirect(url_for("IntegrationKeyView.create_key"))
        row, key = create_key(integration)
        response = make_response(self.render_template(
            "apikey_created.html", row=row, key=key, integration=integration))
        # The secret is in this page only: no browser or proxy keeps a copy.
        response.headers["Cache-Control"] = "no-store"
        return response


def _writable_integrations():
    """The integrations the signed-in user may give a key to, by organization and name."""
    viewer = current_viewer()
    rows = db.session.execute(scope(select(Integration), Integration, viewer)
                              .order_by(Integration.organization_id, Integration.name)).scalars()
    return [i for i in rows if may_write_org(viewer, i.organization_id)]
