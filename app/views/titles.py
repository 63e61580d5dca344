"""Page titles from the menu's names, instead of the framework's "List Open Invoice"
made from the class name."""
from flask_appbuilder.baseviews import BaseModelView

# The name of one record where dropping the plural "s" does not give it.
ONE_RECORD = {"Taxes": "Tax", "Inventory in Boxes": "Inventory in Boxes entry"}


def one_record(name):
    return ONE_RECORD.get(name) or name.removesuffix("s")


def title_from_menu(view, name):
    """Give a model view its list/show/add/edit titles from its menu name, keeping any
    title the class sets itself. Set on the class, before the framework instantiates it
    and copies the list title into the tabs of related views."""
    if not issubclass(view, BaseModelView):
        return
    one = one_record(name)
    titles = {"list_title": name, "show_title": one, "add_title": f"Add {one}",
              "edit_title": f"Edit {one}"}
    for attribute, title in titles.items():
        if not vars(view).get(attribute):
            setattr(view, attribute, title)
