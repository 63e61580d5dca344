"""The help pages of the tasks (issue 16): one per task the seeds describe, in English and
in Bahasa Indonesia, in the reader's language; every picture they show is a screenshot the
browser test took (tests/test_browser_help_screens.py, entered in the manifest with its
hash); each screen a page explains has the "?" to it in its title."""
import hashlib
import json
import re

import pytest

from app.security import roles
from app.views.help import PICTURES, TEXTS, TOPICS
from tests.conftest import login
from tests.factories import html

LANGUAGES = ["en", "id"]
BROWSER_TEST = "tests/test_browser_help_screens.py::"


def manifest():
    return json.loads((PICTURES / "manifest.json").read_text())


def reader(client, world, language, role=roles.IMPORTER):
    world.org("D1")
    world.org("P1", kind="principal")
    world.user("reader", role, "P1" if role == roles.PRINCIPAL else "D1")
    login(client, "reader")
    assert client.get(f"/lang/{language}").status_code == 302
    return client


def pictures_of(page):
    return re.findall(r'<img src="/static/help/([a-z]{2}/[\w-]+\.png)"', page)


@pytest.mark.pictures
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_task_has_a_page_in_the_readers_language_with_current_pictures(
        app, client, world, language):
    reader(client, world, language)
    listed = manifest()
    for topic in TOPICS:
        response = client.get(f"/help/{topic}")
        assert response.status_code == 200, topic
        page = html(response)
        assert f'data-topic="{topic}"' in page
        shown = pictures_of(page)
        assert len(shown) >= 3, (topic, shown)
        for picture in shown:
            assert picture.startswith(f"{language}/{topic}-"), (topic, picture)
            data = (PICTURES / picture).read_bytes()
            entry = listed[picture]  # taken by the browser test, not put there by hand
            assert entry["test"].startswith(BROWSER_TEST), entry
            assert entry["sha256"] == hashlib.sha256(data).hexdigest(), picture
            assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_speaks_the_readers_language(app, client, world):
    reader(client, world, "id")
    page = html(client.get("/help/import-file"))
    assert "Langkah-langkah impor" in page and "Import a file, step by step" not in page
    assert "Impor berkas" in page  # the title, from the catalogue
    client.get("/lang/en")
    page = html(client.get("/help/import-file"))
    assert "Import a file, step by step" in page and "Langkah-langkah impor" not in page


@pytest.mark.pictures
def test_every_picture_is_shown_and_listed_and_they_stay_small():
    files = sorted(str(path.relative_to(PICTURES)) for path in PICTURES.glob("*/*.png"))
    assert files == sorted(manifest())
    texts = "".join(path.read_text() for path in TEXTS.glob("*/*.html"))
    shown = {f"{path.parent.name}/{path.stem}-{n}.png"
             for path in TEXTS.glob("*/*.html")
             for n in re.findall(r"figure\((\d+),", path.read_text())}
    assert shown == set(files), set(files) ^ shown
    assert "figure(" in texts
    assert sum((PICTURES / name).stat().st_size for name in files) < 3_000_000
    # Every task is written in both languages.
    for language in LANGUAGES:
        assert sorted(path.stem for path in (TEXTS / language).glob("*.html")) == sorted(TOPICS)


def test_an_unknown_topic_is_not_found(app, client, world):
    reader(client, world, "en")
    assert client.get("/help/no-such-task").status_code == 404


@pytest.mark.parametrize("url, topic", [
    ("/data-import/", "import-file"),
    ("/imports/list/", "sync-all"),
    ("/rejections/list/", "rejections"),
    ("/templateview/list/", "mapper-templates"),
    ("/template-files/", "mapper-templates"),
    ("/customerreturnview/list/", "customer-returns"),
])
def test_a_screen_links_to_its_help_page_from_its_title(app, client, world, url, topic):
    reader(client, world, "en")
    page = html(client.get(url))
    link = re.search(r'<a href="([^"]+)" id="help-link"', page)
    assert link and link.group(1) == f"/help/{topic}", url
    assert 'js/help_link.js' in page


def test_the_principal_reads_sync_all_with_its_help(app, client, world):
    reader(client, world, "id", role=roles.PRINCIPAL)
    page = html(client.get("/sync-all/"))
    assert '<a href="/help/sync-all" id="help-link"' in page
    assert "Sinkronkan Semua (Principal)" in html(client.get("/help/sync-all"))


def test_a_screen_without_a_help_page_has_no_question_mark(app, client, world):
    reader(client, world, "en")
    assert 'id="help-link"' not in html(client.get("/help/"))


def test_every_help_topic_a_view_names_exists(app):
    named = set()
    for view in app.appbuilder.baseviews:
        topic = getattr(view, "help_topic", None)
        for one in (topic.values() if isinstance(topic, dict) else [topic]):
            if one is not None:
                assert one in TOPICS, (view, one)
                named.add(one)
    assert named == set(TOPICS)  # every page is linked from a screen


def test_the_index_lists_the_task_pages(app, client, world):
    reader(client, world, "en")
    page = html(client.get("/help/"))
    for topic in TOPICS:
        assert f'href="/help/{topic}"' in page
