"""Sessions that end (issue 18, finding 3): logout by POST only, server-side; lifetime
and idle timeout; cookies Secure/HttpOnly/SameSite; API tokens end with the session."""
import time

import pytest

from app.security.sessions import SEEN_AT, SIGNED_IN_AT
from config import security_settings
from tests.conftest import PASSWORD, login


@pytest.fixture
def ida(world):
    world.org("D1")
    return world.user("ida", "Importer", "D1")


def signed_in(client):
    return client.get("/customerview/list/").status_code == 200


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_logout_by_get_only_asks(app, client, ida):
    login(client, "ida")
    response = client.get("/logout/")
    assert response.status_code == 200
    assert 'method="post"' in response.text and "Sign out" in response.text
    assert signed_in(client)


def test_logout_without_the_csrf_token_is_refused(app, client, ida, monkeypatch):
    login(client, "ida")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/logout/").status_code == 400
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    assert signed_in(client)


def test_a_copied_session_cookie_is_dead_after_logout(app, client, ida):
    login(client, "ida")
    copied = session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert signed_in(thief)
    client.post("/logout/")
    assert not signed_in(client)
    assert not signed_in(thief)


def test_logout_ends_every_session_of_the_user(app, ida):
    laptop, phone = login(app.test_client(), "ida"), login(app.test_client(), "ida")
    laptop.post("/logout/")
    assert not signed_in(phone)
    login(phone, "ida")
    assert signed_in(phone)


def test_a_session_ends_after_the_idle_timeout(app, client, ida):
    login(client, "ida")
    with client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    assert not signed_in(client)


def test_a_session_ends_after_its_lifetime_even_when_used(app, client, ida):
    login(client, "ida")
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] = int(time.time()) - app.config["SESSION_LIFETIME_MINUTES"] * 60 - 5
    assert not signed_in(client)


def test_a_password_reset_by_an_admin_ends_the_users_sessions(app, client, world, ida):
    world.user("root", "Admin")
    login(client, "ida")
    admin = login(app.test_client(), "root")
    new = "reset-by-the-admin-31"
    admin.post(f"/resetpassword/form?pk={ida}", data={"password": new, "conf_password": new})
    assert not signed_in(client)


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(app, ida, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    client = app.test_client()
    response = client.post("/login/", data={"username": "ida", "password": PASSWORD},
                           base_url="https://portal.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_follow_the_public_url_unless_set():
    assert security_settings(None, "https://muara.example")["SESSION_COOKIE_SECURE"] is True
    assert security_settings(None, "http://localhost:5000")["SESSION_COOKIE_SECURE"] is False


def test_api_tokens_end_with_logout(app, client, ida):
    tokens = client.post("/api/v1/security/login", json={
        "username": "ida", "password": PASSWORD, "provider": "db", "refresh": True}).json
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert app.test_client().post("/api/v1/security/refresh", headers=refresh).status_code == 200
    login(client, "ida")
    client.post("/logout/")
    response = app.test_client().post("/api/v1/security/refresh", headers=refresh)
    assert response.status_code == 401
