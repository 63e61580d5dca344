"""The landing page: who you are, which organization, and where to go next."""
from flask import g
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.models import Organization
from app.security.tenancy import current_viewer


class HomeView(IndexView):
    route_base = "/"
    index_template = "index.html"

    @expose("/")
    def index(self):
        viewer = current_viewer()
        organization = (db.session.get(Organization, viewer.organization_id)
                        if viewer.organization_id else None)
        return self.render_template(self.index_template, viewer=viewer,
                                    organization=organization, user=g.user)
