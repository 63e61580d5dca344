"""Security headers on every response (issue 18, finding 4), inline scripts carrying the
CSP nonce on every screen, downloads as attachments."""
import re

import pytest
from flask import Flask, Response, request

from app.security.headers import downloads_as_attachments, secure_responses
from tests.conftest import login
from tests.factories import invoice_file, make_distributor, muara


def csp_of(response):
    return dict(part.strip().split(" ", 1) for part in
                response.headers["Content-Security-Policy"].split(";") if part.strip())


@pytest.mark.parametrize("path", ["/login/", "/", "/customerview/list/", "/no-such-page"])
def test_every_response_has_the_security_headers(app, root_admin, path):
    client = root_admin if path != "/login/" else app.test_client()
    response = client.get(path)
    csp = csp_of(response)
    assert "'unsafe-inline'" not in csp["script-src"] and "'nonce-" in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_hsts_only_over_https(app):
    response = app.test_client().get("/login/", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_confirmation_page_cannot_be_framed(app, world):
    make_distributor(app)
    world.user("prin", "Principal", "P1")
    response = login(app.test_client(), "prin").get("/sync-all/")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert csp_of(response)["frame-ancestors"] == "'none'"


def menu_pages(client):
    home = client.get("/").text
    links = sorted(set(re.findall(r'href="(/[a-z][^"#?]*)"', home)))
    pages = [link for link in links if not link.startswith(("/static", "/appbuilder/", "/logout"))]
    adds = [link.replace("/list/", "/add") for link in pages if link.endswith("/list/")]
    return pages + adds


def test_every_inline_script_of_the_screens_carries_the_nonce(app, root_admin):
    pages = menu_pages(root_admin)
    assert len(pages) > 20
    for path in pages:
        response = root_admin.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        if path.startswith("/operations/rq/"):
            # rq-dashboard's templates (not ours, Admin only): inline scripts allowed there
            script_src = csp_of(response)["script-src"]
            assert "'unsafe-inline'" in script_src and "nonce" not in script_src, path
            continue
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
        html = response.text
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" not in tag:
                assert f'nonce="{nonce}"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), (path, "inline event handler")
        assert "javascript:" not in html, (path, "javascript: URL")


def test_downloads_are_attachments_with_nosniff():
    inline = Response("=1+1\n", mimetype="text/csv",
                      headers={"Content-Disposition": "inline; filename=x.csv"})
    response = downloads_as_attachments(inline)
    assert response.headers["Content-Disposition"] == "attachment; filename=x.csv"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = downloads_as_attachments(Response("<p>hi</p>", mimetype="text/html"))
    assert "Content-Disposition" not in page.headers


def test_an_uploaded_file_downloads_as_an_attachment(app, root_admin, world, tmp_path):
    result = muara(app.test_cli_runner(), "import",
                   invoice_file(tmp_path, [["INV-1", "C001", "2025-01-31", 1, "PO-1", "JKT"]]),
                   "--module", "open_invoices", "--org", "D1", "--wait")
    assert result.exit_code == 0, result.output
    import_id = int(re.search(r'"import_id": (\d+)', result.output)[1])
    response = root_admin.get(f"/imports/download/{import_id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def tiny_app(proxies):
    app = Flask(__name__)
    app.config.update(PROXY_FIX=proxies, SESSION_COOKIE_SECURE=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    secure_responses(app)
    app.add_url_rule("/", "index", lambda: f"{request.scheme} {request.remote_addr}")
    return app


def test_behind_a_proxy_the_request_knows_the_client_and_https():
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    behind = tiny_app(1).test_client().get("/", headers=headers)
    assert behind.text == "https 203.0.113.7"
    assert "Strict-Transport-Security" in behind.headers
    # Without MUARA_PROXY_FIX the forwarded headers of an unknown sender are not believed
    # (the address the rate limit counts stays the real one).
    assert tiny_app(0).test_client().get("/", headers=headers).text == "http 127.0.0.1"
