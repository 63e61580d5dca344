"""`make translations`, second step: add to the catalogue template (.pot) that pybabel
extracted from the code and templates the screens' strings made at run time (column
labels, titles, menu names: app/i18n/screens.py), which no extractor can see.

Usage: python -m app.i18n.extract PATH.pot
"""
import sys

from babel.messages.pofile import read_po, write_po


def add_screen_strings(pot_path):
    from app import create_app
    from app.i18n.screens import SCREEN_STRINGS
    create_app()
    with open(pot_path, "rb") as handle:
        catalogue = read_po(handle)
    for text in SCREEN_STRINGS:
        if text not in catalogue:
            catalogue.add(text)
    with open(pot_path, "wb") as handle:
        write_po(handle, catalogue, no_location=True, sort_output=True)


if __name__ == "__main__":
    add_screen_strings(sys.argv[1])
