"""Security headers on every response (Flask-Talisman), downloads as attachments, and the
proxy in front (ProxyFix).

- Content-Security-Policy: scripts only from the portal itself or inline with the
  per-request nonce (templates write nonce="{{ csp_nonce() }}", through the framework's
  baselib.get_nonce()); no 'unsafe-inline' for scripts. Styles may be inline (the
  framework's templates use style attributes, which cannot run code).
- frame-ancestors 'none' and X-Frame-Options DENY: no page can be framed (clickjacking of
  confirmation pages).
- X-Content-Type-Options nosniff, Referrer-Policy same-origin.
- Strict-Transport-Security only on requests that arrived over HTTPS (Talisman's rule);
  behind a TLS-terminating proxy set MUARA_PROXY_FIX so the request knows it.
"""
import secrets
from urllib.parse import urlsplit

from flask import request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# What a browser would otherwise display (or sniff) instead of saving.
DOWNLOAD_TYPES = {
    "text/csv", "application/csv", "text/xml", "application/xml", "application/zip",
    "application/octet-stream", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.spreadsheet",
}


def secure_responses(app):
    proxies = app.config.get("PROXY_FIX", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies, x_port=proxies)
    policy = dict(CONTENT_SECURITY_POLICY)
    # Connecting a service posts a form that redirects to its OAuth consent page (and
    # form-action also covers the redirects that follow a form).
    oauth_origin = origin(app.config.get("ACCURATE_ACCOUNT_URL"))
    if oauth_origin:
        policy["form-action"] = ["'self'", oauth_origin]
    app.before_request(make_nonce)  # before Talisman's own, which keeps a nonce already set
    Talisman(
        app,
        force_https=False,  # the proxy in front redirects; tests and `make run` use http
        strict_transport_security=True,
        frame_options="DENY",
        content_security_policy=policy,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="same-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    app.after_request(downloads_as_attachments)


def make_nonce():
    """The request's CSP nonce: 128 bits from `secrets`, in lowercase hex. (Talisman's own
    mixes upper-case letters and digits; a nonce is on every page several times, and hex
    cannot spell the upper-case codes - "D3", "C003" - that pages show and tests look
    for in them.)"""
    request.csp_nonce = secrets.token_hex(16)


def origin(url):
    """scheme://host[:port] of `url`; None when it has none."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def downloads_as_attachments(response):
    """A file the portal hands out is saved, never shown inline in the portal's origin."""
    if response.mimetype in DOWNLOAD_TYPES:
        disposition = response.headers.get("Content-Disposition", "")
        if not disposition.lower().startswith("attachment"):
            filename = disposition.partition("filename=")[2]
            response.headers["Content-Disposition"] = (
                f"attachment; filename={filename}" if filename else "attachment")
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response
