"""Every screen is titled as its menu entry, not with the framework's "List <Class>"."""
import re

from app.extensions import db
from app.models import MapperTemplate, TemplateField
from app.services import directory
from tests.conftest import login


def panel_titles(page):
    return re.findall(r'<h4 class="panel-title">\s*(?:<a[^>]*>)?([^<]+)', page)


def test_screens_are_titled_as_their_menu_entries(app, client, world):
    world.org("D1")
    world.user("admin", "Admin")
    with app.app_context():
        template = MapperTemplate(organization=directory.get_org("D1"), module="open_invoices",
                                  name="T")
        template.fields.append(TemplateField(field="reference", source_column="Invoice #"))
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    login(client, "admin")
    expected = {"/openinvoiceview/list/": ["Open Invoices"],
                "/salesorderview/list/": ["Sales Orders"],
                "/customerview/list/": ["Customers"],
                "/customerview/add": ["Add Customer"],
                "/integrationview/list/": ["Integrations"],
                "/membershipview/list/": ["User Organizations"],
                "/taxview/list/": ["Taxes"],
                f"/templateview/show/{template_id}": ["Mapper Template",
                                                      "Template field lines"]}
    for url, titles in expected.items():
        shown = [t.strip() for t in panel_titles(client.get(url).get_data(as_text=True))]
        assert [t for t in shown if t != "Search"] == titles, url
