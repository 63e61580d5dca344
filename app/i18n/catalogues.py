"""The translation catalogues, compiled to .mo beside their .po whenever a .po is newer
(so a clone, `make run` and CI never serve a stale or missing catalogue; the .mo files
are build output, not kept in git).

Two folders of catalogues, merged by Flask-Babel in this order (the later wins):
- app/translations/framework: the strings of Flask-AppBuilder that Muara's screens show
  (the framework ships no Indonesian);
- app/translations/muara: Muara's own strings, extracted by `make translations`.
"""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def catalogue_sources():
    return sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po"))


def compile_catalogues():
    for source in catalogue_sources():
        target = source.with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        with source.open("rb") as handle:
            catalogue = read_po(handle)
        # Written whole then moved: a process reading it never sees half a file.
        partial = target.with_suffix(".mo.part")
        with partial.open("wb") as handle:
            write_mo(handle, catalogue)
        partial.replace(target)
