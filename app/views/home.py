"""The landing page: who you are, which organization, and what each of your roles needs
now (issue 17 item 11; the figures come from app.services.home)."""
from flask import g
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.models import Organization
from app.security.tenancy import current_viewer
from app.services.home import HOME_LIMIT, panels
from app.views.display import shown


class HomeView(IndexView):
    route_base = "/"
    index_template = "index.html"

    @expose("/")
    def index(self):
        viewer = current_viewer()
        organization = (db.session.get(Organization, viewer.organization_id)
                        if viewer.organization_id else None)
        found = {}
        if viewer.user_id is not None:
            found = panels(viewer, organization, self.appbuilder.sm.user_model)
        return self.render_template(self.index_template, viewer=viewer,
                                    organization=organization, user=g.user, panels=found,
                                    limit=HOME_LIMIT, shown=shown,
                                    users_endpoint=type(self.appbuilder.sm.user_view).__name__)
