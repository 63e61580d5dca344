"""Sign-in protection and the password policy (issue 18, finding 1): each attack is
refused, and nothing changed."""
import datetime as dt

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccountState
from app.models.tasks import utcnow
from tests.conftest import PASSWORD, login

WRONG = "not-the-password-1"


@pytest.fixture
def ida(world):
    world.org("D1")
    return world.user("ida", "Importer", "D1")


def sign_in(client, username, password):
    return client.post("/login/", data={"username": username, "password": password},
                       follow_redirects=True)


def api_sign_in(client, username, password):
    return client.post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": True})


def signed_in(client):
    return client.get("/customerview/list/").status_code == 200


def lock_state(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        state = db.session.get(AccountState, user_id)
        return user.fail_login_count, state.locked_until if state else None


def test_the_login_form_locks_an_account_after_five_failures(app, client, ida):
    for _ in range(5):
        assert "Invalid login" in sign_in(client, "ida", WRONG).text
    response = sign_in(client, "ida", PASSWORD)  # the right password, while locked
    assert "locked after too many failed sign-ins" in response.text
    assert not signed_in(client)
    failures, locked_until = lock_state(app, ida)
    assert failures == 5
    assert dt.timedelta(seconds=50) < locked_until - utcnow() <= dt.timedelta(seconds=60)


def test_the_api_login_locks_too_and_gives_no_token(app, client, ida):
    for _ in range(5):
        assert api_sign_in(client, "ida", WRONG).status_code == 401
    response = api_sign_in(client, "ida", PASSWORD)
    assert response.status_code == 429
    assert "locked after too many failed sign-ins" in response.json["message"]
    assert "access_token" not in response.json


def test_the_lock_ends_by_time_and_backs_off_on_the_next_failure(app, client, ida):
    for _ in range(5):
        sign_in(client, "ida", WRONG)
    with app.app_context():
        db.session.get(AccountState, ida).locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    sign_in(client, "ida", WRONG)  # the 6th failure: locked twice as long
    failures, locked_until = lock_state(app, ida)
    assert failures == 6
    assert dt.timedelta(seconds=110) < locked_until - utcnow() <= dt.timedelta(seconds=120)
    with app.app_context():
        db.session.get(AccountState, ida).locked_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    login(client, "ida")
    assert signed_in(client)
    assert lock_state(app, ida) == (0, None)


def test_an_admin_unlocks_an_account_on_the_users_screen(app, client, world, ida):
    world.user("root", "Admin")
    for _ in range(5):
        sign_in(client, "ida", WRONG)
    admin = login(app.test_client(), "root")
    response = admin.post("/users/action_post", data={"action": "unlock", "rowid": [ida]})
    assert response.status_code == 302
    assert lock_state(app, ida) == (0, None)
    login(client, "ida")
    assert signed_in(client)


def test_only_an_admin_may_unlock(app, client, world, ida):
    world.user("imp2", "Importer", "D1")
    for _ in range(5):
        sign_in(client, "ida", WRONG)
    other = login(app.test_client(), "imp2")
    other.post("/users/action_post", data={"action": "unlock", "rowid": [ida]})
    assert lock_state(app, ida)[0] == 5


@pytest.fixture
def tight_rate_limit(app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    app.appbuilder.sm.limiter.reset()
    yield
    app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
    app.appbuilder.sm.limiter.reset()


def test_sign_in_attempts_are_rate_limited_per_address(app, client, ida, tight_rate_limit):
    for name in ("guess1", "guess2", "guess3"):
        assert sign_in(client, name, WRONG).status_code == 200
    response = client.post("/login/", data={"username": "ida", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert not signed_in(client)
    # The API login shares nothing but the rule: it has its own count, and answers JSON.
    for _ in range(3):
        api_sign_in(client, "guess", WRONG)
    response = api_sign_in(client, "ida", PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.json["message"]
    assert lock_state(app, ida) == (None, None)  # refused before reaching the account


# --- password policy ---------------------------------------------------------------

def users(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def password_hash(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).password


@pytest.mark.parametrize("password, reason", [
    ("Short-1x", "at least 12 characters"),
    ("newperson-2026", "must not be (or contain) the user name"),
    ("password123456", "commonly used passwords"),
])
def test_the_user_form_refuses_a_weak_password(app, world, password, reason):
    world.user("root", "Admin")
    admin = login(app.test_client(), "root")
    before = users(app)
    response = admin.post("/users/add", data={
        "first_name": "New", "last_name": "Person", "username": "newperson",
        "email": "new@example.test", "active": "y", "roles": ["1"],
        "password": password, "conf_password": password}, follow_redirects=True)
    assert reason in response.text
    assert users(app) == before


def test_an_admins_reset_refuses_a_weak_password(app, world, ida):
    world.user("root", "Admin")
    admin = login(app.test_client(), "root")
    before = password_hash(app, ida)
    response = admin.post(f"/resetpassword/form?pk={ida}", data={
        "password": "ida12345", "conf_password": "ida12345"}, follow_redirects=True)
    assert "at least 12 characters" in response.text
    assert password_hash(app, ida) == before


def test_changing_ones_own_password_needs_the_current_one(app, client, ida):
    login(client, "ida")
    before = password_hash(app, ida)
    new = "a-much-better-secret-77"
    response = client.post("/resetmypassword/form", data={
        "current_password": "a wrong guess", "password": new, "conf_password": new},
        follow_redirects=True)
    assert "This is not your current password." in response.text
    assert password_hash(app, ida) == before
    response = client.post("/resetmypassword/form", data={
        "password": new, "conf_password": new}, follow_redirects=True)
    assert password_hash(app, ida) == before  # no current password at all: refused too

    response = client.post("/resetmypassword/form", data={
        "current_password": PASSWORD, "password": "qwerty12345678",
        "conf_password": "qwerty12345678"}, follow_redirects=True)
    assert "commonly used passwords" in response.text
    assert password_hash(app, ida) == before

    client.post("/resetmypassword/form", data={
        "current_password": PASSWORD, "password": new, "conf_password": new})
    assert password_hash(app, ida) != before
    assert signed_in(client)  # the session that changed it goes on
    login(app.test_client(), "ida", new)


def test_the_demo_logins_meet_the_policy(app):
    from app.demo import load_demo
    from app.security.passwords import password_problem
    with app.app_context():
        logins = load_demo()
        db.session.rollback()
        assert logins and all(password_problem(password, user) is None
                              for user, password, _role in logins)
