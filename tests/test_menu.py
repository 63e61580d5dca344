"""The menu each role is shown leads only to pages it may open."""
from app.views import MENU


def test_no_menu_entry_shares_its_category_name():
    """The framework grants a menu entry and its category by name: an entry named like
    its category would show to everyone who sees the category."""
    assert [name for _, name, category, _ in MENU if name == category] == []
