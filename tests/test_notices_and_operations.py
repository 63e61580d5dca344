"""Issue 17.12 (speed and time left on the progress page; a notice on the uploader's next
page, once; their recent results on the Files screen) and 17.14 (the Admin's operations
view: the pipeline's figures, and rq-dashboard behind the Admin role)."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import ImportFile
from app.models.imports import ImportStatus
from app.views.import_outcome import duration_words, progress_line, speed
from tests.conftest import login
from tests.factories import MIXED_ROWS, drain, flashes, html, invoice_xlsx, upload, uploaded_id

NOW = datetime(2026, 1, 1, 12, 0, 0)


def running(rows_done, rows_total, seconds):
    return SimpleNamespace(status=ImportStatus.processing, rows_done=rows_done,
                           rows_total=rows_total, accepted=rows_done, rejected=0,
                           started_at=NOW - timedelta(seconds=seconds))


def test_the_progress_line_gives_rows_per_second_and_time_left():
    imp = running(40_000, 300_000, 20)
    assert speed(imp, NOW) == {"rows_per_second": 2000.0, "seconds_left": 130.0}
    line = progress_line(imp, NOW)
    assert line == ("Processing: 40,000 of about 300,000 rows, 40,000 accepted, 0 rejected"
                    " · 2,000 rows per second · about 2 minutes left")


def test_no_estimate_before_the_first_batch_or_without_a_total():
    assert speed(running(0, 1000, 5), NOW) == {"rows_per_second": None, "seconds_left": None}
    assert "left" not in progress_line(running(0, 1000, 5), NOW)
    no_total = running(500, None, 10)
    assert speed(no_total, NOW) == {"rows_per_second": 50.0, "seconds_left": None}
    assert progress_line(no_total, NOW).endswith("· 50 rows per second")
    done = SimpleNamespace(**{**vars(running(10, 10, 1)), "status": ImportStatus.archived})
    assert speed(done, NOW)["rows_per_second"] is None


@pytest.mark.parametrize("seconds, words", [(3, "a few seconds"), (45, "less than a minute"),
                                            (61, "about 1 minute"), (3 * 3600 + 300,
                                                                     "about 3 hours 5 minutes"),
                                            (7200, "about 2 hours")])
def test_time_left_in_words(seconds, words):
    assert duration_words(seconds) == words


def test_the_status_poll_carries_the_speed(app, client, portal):
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(MIXED_ROWS), filename="mixed.xlsx"))
    with app.app_context():
        db.session.execute(update(ImportFile).where(ImportFile.id == pk).values(
            status=ImportStatus.processing, rows_done=100, rows_total=1000,
            started_at=datetime.utcnow() - timedelta(seconds=10)))
        db.session.commit()
    status = client.get(f"/data-import/status/{pk}").get_json()
    assert 9 < status["rows_per_second"] <= 10
    assert 80 < status["seconds_left"] < 100
    assert "rows per second" in status["progress_text"] and "left" in status["progress_text"]


@pytest.fixture
def finished(app, client, portal):
    """imp_a uploaded the mixed file and went elsewhere; the job ended meanwhile."""
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(MIXED_ROWS), filename="mixed.xlsx"))
    drain(app)
    portal.pk = pk
    return portal


def test_the_uploader_gets_one_notice_on_the_next_page(app, client, finished):
    first = client.get("/")
    notice = flashes(first, "warning")
    assert any(f"Import #{finished.pk} mixed.xlsx: 2 rows were not imported, 1 accepted." in n
               for n in notice), notice
    assert f'href="/imports/show/{finished.pk}"' in html(first)
    assert not any("mixed.xlsx" in n for n in flashes(client.get("/"), "warning"))


def test_no_notice_for_other_users_or_for_polls(app, client, finished):
    assert client.get(f"/data-import/status/{finished.pk}").status_code == 200
    with app.app_context():
        assert db.session.get(ImportFile, finished.pk).result_seen, \
            "the uploader's poll saw the end: the progress page told them"
    with app.app_context():
        db.session.execute(update(ImportFile).values(result_seen=False))
        db.session.commit()
    login(client, "sup_a")
    assert not any("mixed.xlsx" in n for n in flashes(client.get("/"), "warning"))
    with app.app_context():
        assert not db.session.get(ImportFile, finished.pk).result_seen


def test_the_files_screen_lists_the_users_recent_results(app, client, finished):
    page = html(client.get("/imports/list/"))
    assert 'id="recent-results"' in page
    recent = page[page.index('id="recent-results"'):page.index('id="status-tabs"')]
    assert f"#{finished.pk} mixed.xlsx" in recent
    assert "2 rows were not imported, 1 accepted." in recent
    login(client, "sup_a")  # uploaded nothing
    assert 'id="recent-results"' not in html(client.get("/imports/list/"))


def test_reprocessing_brings_a_new_notice(app, client, finished):
    client.get("/")  # the first notice
    login(client, "sup_a")
    client.post(f"/imports/reprocess/{finished.pk}")
    drain(app)
    login(client, "imp_a")
    assert any(f"Import #{finished.pk}" in n for n in flashes(client.get("/"), "warning"))


# --- 17.14 the operations view ---------------------------------------------------------


@pytest.fixture
def admin(app, client, world, finished):
    world.user("admin", "Admin")
    with app.app_context():
        end = datetime.utcnow()
        db.session.execute(update(ImportFile).values(
            started_at=end - timedelta(seconds=2), finished_at=end, rows_done=3))
        db.session.commit()
    login(client, "admin")
    return finished


def test_the_figures_page_shows_states_speed_and_rejection_rate(app, client, admin):
    page = html(client.get("/operations/"))
    states = page[page.index('id="imports-per-state"'):page.index("Speed of recent")]
    assert "<th>Needs attention</th><td class=\"text-right\">1</td>" in states
    assert "<th>Archived</th><td class=\"text-right\">0</td>" in states
    assert "2 of 3 rows rejected: 66.7%." in page
    assert "The last 1 import: 2 rows per second overall." in page
    assert "Embedded queue" in page


def test_only_the_admin_opens_operations(app, client, admin):
    for username in ("imp_a", "sup_a", "prin_p"):
        login(client, username)
        assert client.get("/operations/").status_code in (302, 403), username
        assert client.get("/operations/rq/").status_code == 403, username
    client.post("/logout/")
    response = client.get("/operations/rq/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_the_rq_dashboard_shows_the_embedded_queue(app, client, admin):
    page = client.get("/operations/rq/")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in policy.split("script-src")[1].split(";")[0]
    queues = client.get("/operations/rq/0/data/queues.json").get_json()
    assert "muara" in [q["name"] for q in queues["queues"]]
    workers = client.get("/operations/rq/0/data/workers.json")
    assert workers.status_code == 200
    # only its pages allow inline scripts
    other = client.get("/operations/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in other.split("script-src")[1].split(";")[0]


def test_dashboard_actions_need_the_ajax_header(app, client, admin):
    url = "/operations/rq/queue/muara/failed/empty"
    assert client.post(url).status_code == 400
    response = client.post(url, headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 200
