"""Every view, registered in one place; the menu and the role declarations read this list."""
from app.views.integrations import ConnectionView, IntegrationView
from app.views.organizations import CustomerView, LocationView, OrganizationView, ProductView
from app.views.security import MembershipView

# (view class, menu name, category, icon)
MENU = [
    (OrganizationView, "Organizations", "Organizations", "fa-building"),
    (LocationView, "Locations", "Organizations", "fa-map-marker"),
    (CustomerView, "Customers", "Organizations", "fa-users"),
    (ProductView, "Products", "Organizations", "fa-cube"),
    (ConnectionView, "Connections", "Integrations", "fa-link"),
    (IntegrationView, "Integrations", "Integrations", "fa-plug"),
    (MembershipView, "User Organizations", "Security", "fa-id-badge"),
]


def menu_of_view():
    return {view.__name__: (name, category) for view, name, category, _ in MENU}


def register_views(appbuilder):
    for view, name, category, icon in MENU:
        appbuilder.add_view(view, name, category=category, icon=icon)
