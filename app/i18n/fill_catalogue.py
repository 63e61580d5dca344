"""Fill empty entries of the Indonesian catalogue from a word list (a translator's aid):
python -m app.i18n.fill_catalogue WORDS.py. "Add X" and "Edit X" titles are made from
the translation of X. Entries already translated are left alone."""
import runpy
import sys

from babel.messages.pofile import read_po, write_po

from app.i18n.catalogues import TRANSLATIONS

CATALOGUE = TRANSLATIONS / "muara" / "id" / "LC_MESSAGES" / "messages.po"
COMPOSED = {"Add ": "Tambah ", "Edit ": "Ubah "}


def translation(text, words):
    if text in words:
        return words[text]
    for english, indonesian in COMPOSED.items():
        rest = text[len(english):]
        if text.startswith(english) and rest in words:
            return indonesian + words[rest]
    return None


def fill(words):
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    left = []
    for message in catalogue:
        if message.id and not message.string:
            found = translation(message.id, words)
            if found is None:
                left.append(message.id)
            else:
                message.string = found
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalogue, no_location=True, width=0)
    return left


if __name__ == "__main__":
    missing = fill(runpy.run_path(sys.argv[1])["BASE"])
    print("\n".join(missing) or "every entry has its translation")
