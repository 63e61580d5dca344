"""The words of the screens the framework builds from a view's declaration (titles,
column labels, menu entries) in the user's language.

A view declares English; `translate_view` turns every title and column label of the
built view, the framework's own labels made from column names included ("invoice_date"
-> "Invoice Date"), into a lazy translation, and `SCREEN_STRINGS` keeps each English source so that
`make translations` puts it in the catalogue and a test finds any left untranslated
(the extractor cannot see strings made at run time). Menu names and categories are
translated by the framework's menu template; they are only registered here.
"""
from flask_appbuilder.baseviews import BaseModelView
from flask_babel import lazy_gettext

SCREEN_STRINGS: set = set()
TITLES = ("list_title", "show_title", "add_title", "edit_title")


def screen_text(text):
    """`text` in the request's language; registered for the catalogue."""
    if not isinstance(text, str):  # already lazy
        return text
    SCREEN_STRINGS.add(text)
    return lazy_gettext(text)


def menu_text(*names):
    """Menu names and categories: the framework's menu translates them as it renders."""
    SCREEN_STRINGS.update(name for name in names if name)


def translate_view(view):
    """Titles and column labels of a model view instance, translated at render. Run
    after the framework built the view: it has made a label for every column then,
    declared or not."""
    if not isinstance(view, BaseModelView):
        return
    for attribute in TITLES:
        title = getattr(view, attribute, None)
        if title:
            setattr(view, attribute, screen_text(title))
    view.label_columns = {column: screen_text(label)
                          for column, label in (view.label_columns or {}).items()}
    _translate_search_form(view)


def _translate_search_form(view):
    """The search form was made from the English labels when the view was built: its
    fields (the filters' names on the list page) take the translated ones."""
    form = getattr(view, "search_form", None)
    for column in getattr(view, "search_columns", None) or ():
        field = getattr(form, column, None)
        label = view.label_columns.get(column)
        if label is None or not hasattr(field, "kwargs"):  # not an unbound field
            continue
        if "label" in field.kwargs or not field.args:
            field.kwargs["label"] = label
        else:
            field.args = (label, *field.args[1:])
