"""Questions asked before an action that cannot be taken back, in a real browser: the
Content-Security-Policy refuses inline handlers, so the forms carry data-confirm and one
script (static/js/confirm.js) asks. Cancel sends nothing; OK sends the form."""
import re

from tests.live_server import drop_file, log_in, needs_chromium

pytestmark = needs_chromium


def test_reprocess_asks_first_and_cancel_reprocesses_nothing(page, server, tmp_path):
    csv = tmp_path / "ask-first.csv"
    csv.write_text("Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,"
                   "Location Code\nINV-Q1,C001,2025-01-31,100.5,PO-1,JKT\n")
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", csv, "text/csv")
    page.click("#import-button")
    page.wait_for_url(re.compile(r"/data-import/progress/\d+$"))
    import_id = re.search(r"/progress/(\d+)", page.url).group(1)
    page.wait_for_selector("#result", state="visible")
    page.goto("/logout/")
    page.click("#logout-button")

    log_in(page, server, "supervisor")
    page.goto(f"/imports/show/{import_id}")
    asked = []
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    def cancel(dialog):
        asked.append(dialog.message)
        dialog.dismiss()
    page.once("dialog", cancel)
    page.click("#reprocess-button")
    page.wait_for_timeout(500)
    assert asked == ["Process this file again with the current template and master data?"]
    assert posts == []  # nothing sent
    assert page.url.endswith(f"/imports/show/{import_id}")
    assert page.locator(".alert-success").count() == 0

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#reprocess-button")
    page.wait_for_selector(".alert-success")
    assert "queued to be processed again" in page.inner_text(".alert-success")
    assert len(posts) == 1 and posts[0].endswith(f"/reprocess/{import_id}")
    # The page ran no inline script the policy had to refuse.
    assert not [e for e in errors if "Content Security Policy" in e], errors
