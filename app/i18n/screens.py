"""The words of the screens the framework builds from a view's declaration (titles,
column labels, menu entries) in the user's language.

A view declares English; `translate_view` turns every title and column label of the
built view, the framework's own labels made from column names included ("invoice_date"
-> "Invoice Date"), and the labels, help texts and choices of its add and edit forms
into lazy translations, and `SCREEN_STRINGS` keeps each English source so that
`make translations` puts it in the catalogue and a test finds any left untranslated
(the extractor cannot see strings made at run time). Menu names and categories are
translated by the framework's menu template; they are only registered here.
"""
from flask_appbuilder.baseviews import BaseModelView
from flask_babel import lazy_gettext
from wtforms import DateField

from app.i18n.date_field import LocalDateField

SCREEN_STRINGS: set = set()
TITLES = ("list_title", "show_title", "add_title", "edit_title", "title")


def screen_text(text):
    """`text` in the request's language; registered for the catalogue."""
    if not isinstance(text, str):  # already lazy
        return text
    SCREEN_STRINGS.add(text)
    return lazy_gettext(text)


def menu_text(*names):
    """Menu names and categories (the framework's menu translates them as it renders), and
    other English a template translates with _(): registered for the catalogue."""
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
    for form in {getattr(view, "add_form", None), getattr(view, "edit_form", None)}:
        _translate_form(form, view.label_columns)


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


def _translate_form(form, labels):
    """The add or edit form was made from the English labels and help texts when the
    view was built (its extra fields were declared in English): every field's label,
    description and choices take their translations, and a date field reads and shows
    dates the page's way (app.i18n.date_field)."""
    if form is None:
        return
    for name in dir(form):
        field = getattr(form, name, None)
        if not hasattr(field, "field_class") or not hasattr(field, "kwargs"):
            continue  # not an unbound field
        if "label" in field.kwargs or field.args:
            label = field.kwargs["label"] if "label" in field.kwargs else field.args[0]
            label = screen_text(label) if label is not None else labels.get(name)
            if "label" in field.kwargs:
                field.kwargs["label"] = label
            else:
                field.args = (label, *field.args[1:])
        elif name in labels:
            field.kwargs["label"] = labels[name]
        if field.field_class is DateField:  # the framework's, ISO only
            field.field_class = LocalDateField
        if isinstance(field.kwargs.get("description"), str) and field.kwargs["description"]:
            field.kwargs["description"] = screen_text(field.kwargs["description"])
        choices = field.kwargs.get("choices")
        if isinstance(choices, (list, tuple)):
            field.kwargs["choices"] = [_translated_choice(choice) for choice in choices]


def _translated_choice(choice):
    if isinstance(choice, tuple) and len(choice) == 2 and isinstance(choice[1], str):
        return choice[0], screen_text(choice[1])
    return choice
