"""The load test's users (issue 14), driven by bench/loadtest/run.py (`make loadtest`):

- browsing users open a list page every 3-7 s: a distributor's supervisor (Open Invoices
  with paging, searches and date filters, Files, Rejection Log) and the principal
  (Dashboard, Consolidated Sales Orders, Files);
- uploaders each sign in as the importer, take the CSRF token from the upload form,
  upload one 10,000-row file through it and then follow its progress as the progress
  page does (its JSON status every 3-7 s) until the import ends.

run.py passes what the users need in LOADTEST_PLAN (JSON): the logins, the files, the
filter parameters and a customer id. A response other than the expected status is a
failure named "status N" (so run.py can count errors by status).
"""
import json
import os
import random
import re

from gevent import sleep
from locust import HttpUser, between, events, task

PLAN = json.loads(os.environ.get("LOADTEST_PLAN", "{}"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PROGRESS = re.compile(r"/data-import/progress/(\d+)$")
_files = list(PLAN.get("files", []))
# Every request's start (epoch seconds), name and milliseconds, for run.py's split of
# the figures into "while the imports ran" and "after".
_request_log = open(PLAN["request_log"], "w") if PLAN.get("request_log") else None


@events.request.add_listener
def record(request_type, name, response_time, start_time=None, **_kwargs):
    if _request_log is not None:
        _request_log.write(f"{start_time or 0:.3f}\t{request_type}\t{name}\t"
                           f"{response_time:.1f}\n")


@events.quitting.add_listener
def close_request_log(**_kwargs):
    if _request_log is not None:
        _request_log.close()


def checked(response, expected=200):
    """Mark anything but the expected status as a failure named by its status."""
    if response.status_code != expected:
        response.failure(f"status {response.status_code}")
    else:
        response.success()
    return response


def csrf_token(client, url, name):
    with client.get(url, name=name, catch_response=True) as response:
        checked(response)
        match = CSRF.search(response.text or "")
        return match.group(1) if match else ""


def sign_in(user, username):
    token = csrf_token(user.client, "/login/", "Sign-in form")
    with user.client.post("/login/", name="Sign in", allow_redirects=False,
                          data={"username": username, "csrf_token": token,
                                "password": PLAN["passwords"][username]},
                          catch_response=True) as response:
        checked(response, 302)


class Browser(HttpUser):
    abstract = True
    wait_time = between(3, 7)
    username = ""

    def on_start(self):
        sign_in(self, self.username)

    def page(self, url, name, **params):
        with self.client.get(url, params=params, name=name, catch_response=True) as response:
            checked(response)


class DistributorBrowser(Browser):
    """The distributor's supervisor: its own 10,000,000 invoices, files, rejections."""
    weight = 3
    username = "supervisor"

    @task(3)
    def open_invoices(self):
        self.page("/openinvoiceview/list/", "Open Invoices: first page")

    @task(2)
    def open_invoices_page(self):
        self.page("/openinvoiceview/list/", "Open Invoices: page 2-2,000",
                  page_OpenInvoiceView=random.randint(1, 1999))

    @task(1)
    def open_invoices_po(self):
        self.page("/openinvoiceview/list/", "Open Invoices: Customer PO",
                  **{PLAN["filters"]["po"]: f"PO-{random.randint(1, PLAN['invoices'])}"})

    @task(1)
    def open_invoices_dates(self):
        year, month = random.randint(2019, 2023), random.randint(1, 11)
        self.page("/openinvoiceview/list/", "Open Invoices: Invoice Date range",
                  **{PLAN["filters"]["date_from"]: f"{year}-{month:02}-01",
                     PLAN["filters"]["date_to"]: f"{year}-{month + 1:02}-01"})

    @task(1)
    def open_invoices_customer(self):
        self.page("/openinvoiceview/list/", "Open Invoices: a customer",
                  **{PLAN["filters"]["customer"]:
                     PLAN["first_customer"] + random.randrange(PLAN["customers"])})

    @task(1)
    def files(self):
        self.page("/imports/list/", "Files")

    @task(1)
    def rejections(self):
        self.page("/rejections/list/", "Rejection Log")


class PrincipalBrowser(Browser):
    """The principal: the dashboard and what its distributors share."""
    weight = 2
    username = "principal"

    @task(2)
    def dashboard(self):
        self.page("/dashboard/", "Dashboard")

    @task(2)
    def sales_orders(self):
        self.page("/salesorderview/list/", "Consolidated Sales Orders")

    @task(1)
    def files(self):
        self.page("/imports/list/", "Files")


class Uploader(HttpUser):
    """One file through the upload form, then its progress until the import ends."""
    fixed_count = PLAN.get("uploaders", 0)
    wait_time = between(3, 7)
    import_id = None
    done = False

    def on_start(self):
        sign_in(self, "importer")
        # Spread the uploads over the first part of the run, among the browsing users.
        self.wait_time_before = random.uniform(0, PLAN.get("upload_spread", 30))

    @task
    def upload_then_follow(self):
        if self.done:
            return
        if self.import_id is None:
            if self.wait_time_before > 0:
                sleep(self.wait_time_before)
                self.wait_time_before = 0
            self.upload()
            return
        with self.client.get(f"/data-import/status/{self.import_id}",
                             name="Import progress (status)",
                             catch_response=True) as response:
            checked(response)
            if response.status_code == 200 and response.json().get("finished"):
                self.done = True

    def upload(self):
        if not _files:
            self.done = True
            return
        path = _files.pop()
        token = csrf_token(self.client, "/data-import/", "Upload form")
        with open(path, "rb") as handle:
            with self.client.post(
                    "/data-import/upload", name=f"Upload ({PLAN['rows']:,} rows)",
                    allow_redirects=False,
                    data={"csrf_token": token, "module": "open_invoices",
                          "principal": PLAN["principal"], "integration": PLAN["integration"],
                          "template": ""},
                    files={"file": (os.path.basename(path), handle, "text/csv")},
                    catch_response=True) as response:
                checked(response, 302)
                match = PROGRESS.search(response.headers.get("Location", ""))
                if match:
                    self.import_id = int(match.group(1))
                else:
                    self.done = True
