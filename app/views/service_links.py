"""Re-integration of an OAuth service on an integration (INT-3, seed 003): the
prerequisites, Remove service, Connect (OAuth 2 authorization code with a checked state),
choose the branch, Sync Master Data and Sync Transaction with their sync records."""
import hmac

from flask import abort, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView
from flask_babel import gettext as _

from app.connectors.base import ConnectorError
from app.errors import MuaraError
from app.i18n.screens import menu_text
from app.models import Integration
from app.models.integrations import INTEGRATION_KIND_LABELS
from app.security.tenancy import current_viewer, may_write_org
from app.services import service_links as links
from app.services import service_pull as pulls
from app.services.service_pull import GROUPS
from app.views.base import visible_or_404
from app.views.pages import page_action
from app.views.preconditions import error_shown, shown

STATE_KEY = "service_oauth"
# A service link's and a sync record's states (app.models: LinkStatus, SyncStatus) and the
# sync groups (app.services.service_sync.GROUPS): the pages translate them.
menu_text("Connected", "Disconnected", "Authorized: choose a branch", "Pending", "Success",
          "Failed", *GROUPS.values())


def service_integration(pk):
    """The integration if the user may act for its organization and it has a service;
    404 otherwise (a guessed id tells nothing)."""
    integration = visible_or_404(Integration, pk)
    if not may_write_org(current_viewer(), integration.organization_id):
        abort(404)
    if not links.supports(integration):
        abort(404)
    return integration


class ServiceLinkView(BaseView):
    help_topic = "reintegrate-service"
    route_base = "/service-links"
    default_view = "show"

    @page_action("/integration/<int:pk>", "view")
    def show(self, pk):
        integration = service_integration(pk)
        link = links.link_of(integration)
        runs = pulls.recent_runs(integration)
        records = pulls.recent_records(integration)
        waiting = [_(group) for group in pulls.waiting_pulls(integration)]
        unset = links.not_configured(integration)
        return self.render_template(
            "service_link.html", waiting=waiting, integration=integration, link=link,
            not_configured=shown(unset) if unset else None,
            service_label=INTEGRATION_KIND_LABELS[integration.kind],
            rights=links.connector(integration).REQUIRED_RIGHTS, runs=runs, records=records,
            running=bool(waiting) or any(r.finished_at is None for r in runs), groups=GROUPS)

    @page_action("/integration/<int:pk>/remove", "connect", methods=["POST"])
    def remove(self, pk):
        integration = service_integration(pk)
        links.remove_service(integration)
        flash(_("The service was removed: its credentials are dropped and it is disconnected."),
              "info")
        return redirect(url_for("ServiceLinkView.show", pk=pk))

    @page_action("/integration/<int:pk>/connect", "connect", methods=["POST"])
    def connect(self, pk):
        integration = service_integration(pk)
        state = links.new_state()
        try:
            url = links.authorize_url(integration, _redirect_uri(), state)
        except MuaraError as exc:
            flash(error_shown(exc), "danger")
            return redirect(url_for("ServiceLinkView.show", pk=pk))
        session[STATE_KEY] = {"state": state, "integration": pk}
        return redirect(url)

    @page_action("/callback", "connect")
    def callback(self):
        started = session.pop(STATE_KEY, None)
        given = request.args.get("state")
        if not started or not given or not hmac.compare_digest(
                given.encode(), str(started.get("state", "")).encode()):
            return self._refuse(_("The answer of the service does not belong to a Connect "
                                  "started from this browser (the state parameter is missing "
                                  "or wrong), so it was refused and nothing changed. Press "
                                  "Connect again on the integration's page."))
        pk = started["integration"]
        integration = service_integration(pk)
        if request.args.get("error") or not request.args.get("code"):
            reason = request.args.get("error_description") or request.args.get("error") \
                or "no authorization code"
            flash(_("The service did not grant access (%(reason)s). Nothing changed.",
                    reason=reason), "danger")
            return redirect(url_for("ServiceLinkView.show", pk=pk))
        try:
            branches = links.finish_authorization(integration, request.args["code"],
                                                  _redirect_uri())
        except (MuaraError, ConnectorError) as exc:
            flash(error_shown(exc), "danger")
            return redirect(url_for("ServiceLinkView.show", pk=pk))
        if len(branches) > 1:
            return redirect(url_for("ServiceLinkView.branch", pk=pk))
        flash(_("Connected to %(branch)s.", branch=branches[0].name), "success")
        return redirect(url_for("ServiceLinkView.show", pk=pk))

    @page_action("/integration/<int:pk>/branch", "connect", methods=["GET", "POST"])
    def branch(self, pk):
        integration = service_integration(pk)
        branches, error = [], None
        try:
            branches = links.list_branches(integration)
            if request.method == "POST":
                link = links.choose_branch(integration, request.form.get("branch", ""), branches)
                flash(_("Connected to %(branch)s.", branch=link.branch_name), "success")
                return redirect(url_for("ServiceLinkView.show", pk=pk))
        except (MuaraError, ConnectorError) as exc:
            error = str(exc)
        return self.render_template("service_branch.html", integration=integration,
                                    branches=branches, error=error), (400 if error else 200)

    @page_action("/integration/<int:pk>/sync/<group>", "sync", methods=["POST"])
    def sync(self, pk, group):
        integration = service_integration(pk)
        if group not in GROUPS:
            abort(404)
        try:
            pulls.request_pull(integration, group)
        except pulls.AlreadyRunning as exc:
            flash(error_shown(exc), "warning")
        except MuaraError as exc:
            flash(error_shown(exc), "danger")
        else:
            flash(_("%(group)s is queued; this page follows its progress.", group=_(GROUPS[group])),
                  "info")
        return redirect(url_for("ServiceLinkView.show", pk=pk))

    def _refuse(self, message):
        return self.render_template("error.html", title=_("Authorization refused"),
                                    message=message), 400


def _redirect_uri():
    # The one address registered with the service: built from the request's host.
    return url_for("ServiceLinkView.callback", _external=True)

