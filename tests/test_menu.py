"""The menu each role is shown leads only to pages it may open."""
import re

import pytest

from app.extensions import db
from app.security import roles
from app.services import directory
from app.views import MENU
from tests.conftest import login


def menu_links(page):
    """The hrefs of the menu's entries (the navigation bar's left side)."""
    menu = page[page.index('<ul class="nav navbar-nav">'):page.index("navbar-right")]
    return re.findall(r'<a tabindex="-1" href="([^"]+)"', menu)


@pytest.fixture
def portal(app, world):
    """A distributor connected to a principal: the demo's shape."""
    world.org("D1")
    world.org("P1", kind="principal")
    with app.app_context():
        directory.connect("D1", "P1")
        db.session.commit()


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_menu_entry_a_role_is_shown_opens(app, client, world, portal, role):
    own = {roles.ADMIN: None, roles.PRINCIPAL: "P1"}.get(role, "D1")
    world.user("someone", role, own)
    login(client, "someone")
    links = menu_links(client.get("/").get_data(as_text=True))
    assert links, f"{role} sees no menu"
    answers = {href: client.get(href).status_code for href in links}
    assert {href: code for href, code in answers.items() if code != 200} == {}, role


def test_no_menu_entry_shares_its_category_name():
    """The framework grants a menu entry and its category by name: an entry named like
    its category would show to everyone who sees the category."""
    assert [name for _, name, category, _ in MENU if name == category] == []


def test_an_admins_page_reads_the_roles_permissions_once(app, client, world, portal):
    """The framework asked the database once per menu entry and button of an Admin
    (whose role is kept in the database): about 50 queries on every page."""
    from sqlalchemy import event
    world.user("boss", roles.ADMIN, None)
    login(client, "boss")
    client.get("/openinvoiceview/list/")  # warm: the page's first request
    asked = []

    def note(_conn, _cursor, statement, *_args):
        if "ab_permission_view_role" in statement:
            asked.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        page = client.get("/openinvoiceview/list/")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert page.status_code == 200
    assert len(menu_links(page.get_data(as_text=True))) > 20  # the whole menu was shown
    assert len(asked) == 1, asked
