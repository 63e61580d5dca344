"""Search-as-you-type choices in a real browser (issue 14): on Open Invoices an Importer
adds a Customer filter, types part of a code, picks the customer select2 found through
the view's JSON endpoint, and searches; the filtered list keeps the chosen customer."""
import re

from tests.live_server import SHOTS, log_in, needs_chromium

pytestmark = needs_chromium


def test_importer_finds_a_customer_by_typing(page, server):
    SHOTS.mkdir(exist_ok=True)
    problems = []
    # Script errors and refused scripts (CSP); a missing favicon is no problem here.
    page.on("console", lambda message: message.type == "error"
            and "Failed to load resource" not in message.text and problems.append(message.text))
    log_in(page, server, "importer")
    page.goto("/openinvoiceview/list/")
    page.click("a.accordion-toggle[href='#accordion1_href']")
    page.click("text=Add Filter")
    page.click("a.filter[name=customer]")
    with page.expect_response(re.compile(r"/openinvoiceview/choices/search/customer")):
        page.click("#filter_form .select2-container >> nth=-1")  # opens: the first page
    with page.expect_response(re.compile(r"/choices/search/customer\?q=C00&")):
        page.keyboard.type("C00")
    page.wait_for_selector(".select2-results__option:not(.loading-results)")
    options = page.locator(".select2-results__option").all_inner_texts()
    assert options and all("C00" in option for option in options), options
    page.screenshot(path=SHOTS / "choices-1-typing.png", full_page=True)
    chosen = options[0]
    page.keyboard.press("Enter")
    page.click("#filter_form button[type=submit], #filter_form input[type=submit]")
    page.wait_for_url(re.compile(r"_flt_\d+_customer=\d+"))
    page.click("a.accordion-toggle[href='#accordion1_href']")
    page.wait_for_selector("#filter_form .select2-selection__rendered >> nth=-1")
    shown = page.locator("#filter_form .select2-selection__rendered").all_text_contents()
    assert chosen in shown, shown
    page.screenshot(path=SHOTS / "choices-2-filtered.png", full_page=True)
    assert not problems, problems
