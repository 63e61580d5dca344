"""The operations view for the Admin (issue 17.14): the pipeline's own figures, and RQ's
queues, workers and jobs through rq-dashboard, mounted behind the Admin role.

rq-dashboard is a blueprint we do not own: its pages carry inline scripts without our
CSP nonce and compile templates with underscore.js, so its endpoints (and only those,
Admin-only) get a policy that allows inline scripts and eval;
its POSTs (requeue, delete, empty) are jQuery calls without our CSRF token, so they are
exempt from the token but must carry X-Requested-With, which a cross-site form cannot.
In the embedded mode the dashboard reads the in-process queue of this web process."""
import rq_dashboard
from flask import abort, current_app, g, redirect, request, url_for
from flask_appbuilder import BaseView

from app.queue import queue
from app.security.headers import CONTENT_SECURITY_POLICY
from app.security.tenancy import current_viewer
from app.services import pipeline_figures
from app.views.pages import page_action

DASHBOARD_PREFIX = "/operations/rq"
EMBEDDED_URL = "redis://embedded-in-process-queue/0"
# Its pages write inline scripts and compile underscore.js templates (new Function).
DASHBOARD_POLICY = {**CONTENT_SECURITY_POLICY,
                    "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"]}


def _dashboard_guard():
    """Before every rq-dashboard request: Admins only, and the portal's own queue."""
    if g.get("user") is None or not g.user.is_authenticated:
        return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login",
                                next=request.path))
    if not current_viewer().is_admin:
        abort(403)
    if request.method == "POST" and request.headers.get("X-Requested-With") != "XMLHttpRequest":
        abort(400, "This action is made from the Queues and workers page.")
    current_app.redis_conn = queue().connection


# Registered once per process, before the blueprint is registered on any app.
rq_dashboard.blueprint.before_request(_dashboard_guard)


def mount_dashboard(app):
    """Mount rq-dashboard at DASHBOARD_PREFIX (call after the views are registered)."""
    from app.security.csrf import csrf

    redis_url = app.config.get("REDIS_URL") or EMBEDDED_URL
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", (redis_url,))
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 5000)
    app.redis_conn = None  # set per request by _dashboard_guard
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=DASHBOARD_PREFIX)
    csrf.exempt(rq_dashboard.blueprint)
    for endpoint, function in app.view_functions.items():
        if endpoint.startswith(f"{rq_dashboard.blueprint.name}.") \
                and hasattr(function, "__dict__") and not hasattr(function, "__self__"):
            function.talisman_view_options = {
                "content_security_policy": DASHBOARD_POLICY,
                "content_security_policy_nonce_in": []}


class OperationsView(BaseView):
    """The pipeline's figures: imports per state, speed of recent jobs, rejection rate."""
    route_base = "/operations"
    default_view = "figures"

    @page_action("/", "figures")
    def figures(self):
        speeds = pipeline_figures.recent_job_speeds()
        read, rejected, rate = pipeline_figures.rejection_rate()
        return self.render_template(
            "operations.html", states=pipeline_figures.imports_per_state(), speeds=speeds,
            overall=pipeline_figures.overall_speed(speeds), rows_read=read,
            rows_rejected=rejected, rate=rate, embedded=queue().embedded,
            dashboard_url=f"{DASHBOARD_PREFIX}/")
