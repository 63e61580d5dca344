"""One set of words for a file's states (issue 17.4): the Files tabs carry the states'
own words, the help page explains the same words, and a waiting file with a rejected
row says after Sync All what happened to it (consolidated, and Needs attention)."""
import re

from app.extensions import db
from app.models import ImportFile
from app.models.imports import STATE_WORDS, ImportStatus
from app.notifications import import_result_message
from app.security import roles
from tests.conftest import login
from tests.consolidation_helpers import import_file, order_file, portal, sync_all
from tests.factories import html

# SO-2 names an unknown customer: one document rejected, one staged.
ONE_BAD = [["SO-1", "2025-02-01", "C001", "P001", 2, 1500, None],
           ["SO-2", "2025-02-02", "C404", "P001", 10, 100, None]]
FIXED = [["SO-2", "2025-02-02", "C002", "P001", 10, 100, None]]


def test_every_state_has_one_word_and_its_meaning():
    assert [STATE_WORDS[s][0] for s in ImportStatus] == [
        "Imported", "Processing", "Archived", "Needs attention", "Failed", "Checked",
        "Undoing", "Undone"]
    assert "waiting" in ImportStatus.imported.meaning
    assert ImportStatus.archived.label == "Archived"


def test_the_help_page_explains_the_words_the_tabs_use(app, client, world):
    world.org("D9")
    world.user("imp9", roles.IMPORTER, "D9")
    login(client, "imp9")
    page = html(client.get("/help/"))
    table = page[page.index('id="file-states"'):]
    explained = re.findall(r"<td><strong>([^<]+)</strong></td><td>([^<]+)</td>", table)
    tabs = html(client.get("/imports/list/"))
    tabs = tabs[tabs.index('id="status-tabs"'):]
    tab_words = re.findall(r'_flt_0_status=\w+">([^<]+)</a>', tabs[:tabs.index("</ul>")])
    assert [label for label, _ in explained] == tab_words
    assert [label for label, _ in explained] == [
        "Imported", "Processing", "Needs attention", "Failed", "Archived", "Checked",
        "Undone"]


def test_sync_all_says_a_file_with_a_rejected_row_needs_attention(app, runner, tmp_path):
    portal(app)
    data = import_file(runner, order_file(tmp_path, ONE_BAD))
    assert (data["status"], data["accepted"], data["rejected"]) == ("imported", 1, 1)
    with app.app_context():
        _, body = import_result_message(db.session.get(ImportFile, data["import_id"]))
        assert "State: Imported. Stored and waiting" in body

    result = sync_all(runner, "P1")
    assert result == {"files": 1, "consolidated": 1, "failed": 0, "needs_attention": 1}
    with app.app_context():
        assert db.session.get(ImportFile, data["import_id"]).status == \
            ImportStatus.needs_attention

    # the fixed document, imported and consolidated, closes the original
    fixed = import_file(runner, order_file(tmp_path, FIXED, "fixed.xlsx"))
    assert fixed["rejected"] == 0
    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 1, "failed": 0}
    with app.app_context():
        assert db.session.get(ImportFile, data["import_id"]).status == ImportStatus.archived
