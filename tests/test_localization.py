"""Two languages (issue 16): the switch, the choice remembered per user, the
organization's language for a new user, the framework's strings in Indonesian, local
formats and date parsing."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from app.extensions import db
from app.i18n import formats
from app.i18n.catalogues import catalogue_sources
from app.models import AccountState, Organization
from tests.conftest import login


def org_speaks(app, code, language, time_zone="Asia/Jakarta"):
    with app.app_context():
        org = db.session.execute(db.select(Organization).filter_by(code=code)).scalar_one()
        org.language, org.time_zone = language, time_zone
        db.session.commit()


def test_a_new_user_reads_their_organizations_language(app, client, world):
    world.org("D1")
    world.user("ina", "Importer", "D1")
    org_speaks(app, "D1", "id")
    page = login(client, "ina").get("/", follow_redirects=True).get_data(as_text=True)
    assert "Keluar" in page  # the framework's "Logout", from our Indonesian catalogue
    assert ">Logout<" not in page


def test_the_switch_is_remembered_on_the_account(app, client, world):
    world.org("D1")
    user_id = world.user("ina", "Importer", "D1")
    login(client, "ina")
    assert client.get("/lang/id").status_code == 302
    assert "Keluar" in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AccountState, user_id).language == "id"
    # A new sign-in (another browser) reads the chosen language again.
    other = app.test_client()
    assert "Keluar" in login(other, "ina").get("/").get_data(as_text=True)
    # And back to English.
    client.get("/lang/en")
    assert "Keluar" not in client.get("/").get_data(as_text=True)


def test_an_unknown_language_is_refused(client):
    assert client.get("/lang/xx").status_code == 404


def test_the_api_keeps_english(app, client, world):
    world.org("D1")
    world.user("ina", "Importer", "D1")
    org_speaks(app, "D1", "id")
    login(client, "ina")
    with app.test_request_context("/api/v1/integration/files"):
        from app.i18n.choice import select_locale
        assert select_locale() == "en"


def test_every_framework_string_has_an_indonesian_translation():
    """The framework's strings our screens show: extracted from the installed
    Flask-AppBuilder, so an upgrade that adds one fails here."""
    from pathlib import Path

    import flask_appbuilder
    from babel.messages.extract import extract_from_dir
    root = Path(flask_appbuilder.__file__).parent
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    # lazy_formatter_gettext: the user form's role and group help texts.
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "__": None,
                "lazy_formatter_gettext": (1,)}
    wanted = {message for _, _, message, _, _ in
              extract_from_dir(root, method_map, keywords=keywords) if message}
    # WTForms' messages ("Not a valid date value."): it ships no Indonesian; the
    # framework's form template shows each error through _(), so this catalogue has them.
    from wtforms.i18n import messages_path
    with open(Path(messages_path()) / "wtforms.pot", "rb") as handle:
        for message in read_po(handle):
            wanted.update([message.id] if isinstance(message.id, str) else message.id)
    catalogue = {m.id: m.string for m in read_po(open(
        root_of("framework"), "rb")) if m.id}
    for m in read_po(open(root_of("framework"), "rb")):  # a plural answers for both ids
        if isinstance(m.id, tuple):
            catalogue.update(dict.fromkeys(m.id, "".join(m.string)))
    missing = sorted(m for m in wanted if isinstance(m, str) and m and not catalogue.get(m))
    assert missing == []


def test_every_muara_string_has_an_indonesian_translation(app):
    """What `make translations` extracts from app/ (Python and templates) and the
    screens' strings made at run time (labels, titles, menus) are all in the Indonesian
    catalogue with a translation: a new English string fails here until it is
    translated."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    from app.i18n.screens import SCREEN_STRINGS
    root = Path(__file__).resolve().parent.parent / "app"
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None,
                "ngettext": (1, 2)}
    wanted = set(SCREEN_STRINGS)
    for _, _, message, _, _ in extract_from_dir(root, method_map, keywords=keywords):
        wanted.update([message] if isinstance(message, str) else message)
    catalogue = {}
    for m in read_po(open(root_of("muara"), "rb")):
        # A plural entry (ngettext) answers for its singular and its plural msgid.
        for msgid in ([m.id] if isinstance(m.id, str) else m.id):
            catalogue[msgid] = "".join(m.string) if isinstance(m.string, tuple) else m.string
    missing = sorted(m for m in wanted if m and not catalogue.get(m))
    assert missing == []


def root_of(folder):
    return next(p for p in catalogue_sources() if p.parts[-4] == folder)


@pytest.mark.parametrize("folder", ["framework", "muara"])
def test_catalogues_have_no_fuzzy_or_empty_entries(folder):
    catalogue = read_po(open(root_of(folder), "rb"))
    bad = [m.id for m in catalogue if m.id and (
        m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert bad == []


@pytest.mark.parametrize("language, date, number, negative", [
    ("id", "05/11/2026", "150.000,5", "-1.234,56"),
    ("en", "2026-11-05", "150,000.5", "-1,234.56"),
])
def test_dates_and_numbers_read_the_languages_way(app, language, date, number, negative):
    with app.test_request_context("/"), force_locale(language):
        assert formats.date_text(dt.date(2026, 11, 5)) == date
        assert formats.number_text(Decimal("150000.500")) == number
        assert formats.number_text(Decimal("-1234.56")) == negative
        assert formats.number_text(Decimal("100.000")) == "100"
        assert formats.number_text(0.1) in ("0,1", "0.1")


def test_times_are_shown_in_the_time_zone_with_its_name(app):
    with app.test_request_context("/"), force_locale("id"):
        # 07:30 UTC is 14:30 in Jakarta (UTC+7, no daylight saving).
        shown = formats.datetime_text(dt.datetime(2026, 11, 5, 7, 30, 12))
        assert shown == "05/11/2026 14:30 WIB"


@pytest.mark.parametrize("typed, date", [
    ("05/11/2026", dt.date(2026, 11, 5)), ("5/11/2026", dt.date(2026, 11, 5)),
    ("2026-11-05", dt.date(2026, 11, 5)), (" 05-11-2026 ", dt.date(2026, 11, 5)),
    ("31/02/2026", None), ("11/05", None), ("kemarin", None), ("", None),
])
def test_dates_typed_in_the_shown_form_or_iso(typed, date):
    assert formats.parse_date_text(typed) == date


def test_error_pages_and_the_sign_out_page_speak_indonesian(app, client, world):
    world.org("D1")
    world.user("ina", "Importer", "D1")
    org_speaks(app, "D1", "id")
    login(client, "ina")
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "Halaman tidak ditemukan" in missing.get_data(as_text=True)
    assert "Tetap masuk" in client.get("/logout/").get_data(as_text=True)


def test_the_navigation_bar_offers_the_switch_and_the_calendar_follows(app, client, world):
    """The flag menu links the other language; the date script is told the page's
    language (app/static/js/dates.js: dd/mm/yyyy and Indonesian month and day names)."""
    world.org("D1")
    world.user("ina", "Importer", "D1")
    page = login(client, "ina").get("/").get_data(as_text=True)
    assert 'href="/lang/id"' in page
    assert re.search(r'js/dates\.js[^>]*data-language="en"', page)
    client.get("/lang/id")
    page = client.get("/openinvoiceview/list/").get_data(as_text=True)
    assert 'href="/lang/en"' in page
    assert re.search(r'js/dates\.js[^>]*data-language="id"', page)


def test_the_demo_companies_speak_indonesian_in_jakarta_time(app, client):
    """Seeds 000, 001 and 003: the demo distributor's and principal's people read Bahasa
    Indonesia without touching the switch."""
    from app.demo import load_demo
    from tests.conftest import PASSWORD
    with app.app_context():
        load_demo(password_for=lambda username: PASSWORD)
        db.session.commit()
        orgs = db.session.execute(db.select(Organization.code, Organization.language,
                                            Organization.time_zone)).all()
    assert sorted(orgs) == [("DEMO-DIST", "id", "Asia/Jakarta"),
                            ("DEMO-PRIN", "id", "Asia/Jakarta")]
    for username in ("importer", "principal"):
        other = app.test_client()
        page = login(other, username).get("/").get_data(as_text=True)
        assert "Keluar" in page and ">Logout<" not in page, username
