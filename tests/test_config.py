"""Settings from the environment, with safe defaults (no fixed secret, SQLite, embedded)."""
import os
import stat

import pytest

import config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MUARA_MAX_UPLOAD_MB",
                 "MUARA_RETENTION_DAYS", "MUARA_DB_RETRY_SECONDS", "MAIL_SERVER", "MAIL_PORT",
                 "MUARA_TIME_ZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUARA_INSTANCE", str(tmp_path / "inst"))
    return tmp_path / "inst"


def test_defaults_are_sqlite_in_the_instance_folder_and_the_embedded_queue(clean_env):
    settings = config.build_config()
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_env / 'muara.db'}"
    assert settings["REDIS_URL"] is None
    assert settings["RETENTION_DAYS"] == 30
    assert settings["MAX_CONTENT_LENGTH"] == 500 * 1024 * 1024  # a yearly file fits
    assert settings["DB_RETRY_SECONDS"] == 300  # a lost database is retried 5 minutes
    assert settings["TIME_ZONE"] == "Asia/Jakarta"


def test_secret_key_is_generated_once_kept_private_and_reused(clean_env):
    first = config.build_config()["SECRET_KEY"]
    second = config.build_config()["SECRET_KEY"]
    assert first == second and len(first) >= 40
    key_file = clean_env / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_each_instance_gets_its_own_secret(clean_env, monkeypatch, tmp_path):
    first = config.build_config()["SECRET_KEY"]
    monkeypatch.setenv("MUARA_INSTANCE", str(tmp_path / "other"))
    assert config.build_config()["SECRET_KEY"] != first


def test_environment_overrides(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/muara")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/1")
    monkeypatch.setenv("MUARA_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("MUARA_RETENTION_DAYS", "7")
    monkeypatch.setenv("MAIL_PORT", "2525")
    settings = config.build_config()
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/muara"
    assert settings["REDIS_URL"] == "redis://cache:6379/1"
    assert settings["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert settings["RETENTION_DAYS"] == 7
    assert settings["MAIL_PORT"] == 2525
    assert not (clean_env / "secret_key").exists()


def test_a_malformed_number_is_a_clear_error(clean_env, monkeypatch):
    monkeypatch.setenv("MUARA_RETENTION_DAYS", "thirty")
    with pytest.raises(RuntimeError, match="MUARA_RETENTION_DAYS must be a whole number"):
        config.build_config()


@pytest.mark.parametrize("word, expected", [("on", True), ("TRUE", True), ("1", True),
                                            ("yes", True), ("off", False), ("False", False),
                                            ("0", False), ("no", False)])
def test_a_switch_reads_the_words_for_on_and_off(clean_env, monkeypatch, word, expected):
    monkeypatch.setenv("MUARA_CSRF", word)
    assert config.build_config()["WTF_CSRF_ENABLED"] is expected


@pytest.mark.parametrize("name, value, accepted", [
    ("MUARA_CSRF", "ture", "1, true, yes, on (on) or 0, false, no, off (off)"),
    ("MAIL_USE_TLS", "maybe", "1, true, yes, on (on) or 0, false, no, off (off)"),
    ("MUARA_LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("MUARA_MAX_UPLOAD_MB", "0", "a whole number of at least 1"),
    ("MUARA_DB_RETRY_SECONDS", "0", "a whole number of at least 1"),
    ("MUARA_DB_RETRY_SECONDS", "5m", "a whole number of at least 1"),
    ("MUARA_RETENTION_DAYS", "-3", "a whole number of at least 0"),
    ("MUARA_PURGE_TIME", "3am", "a time of day as HH:MM (00:00 to 23:59)"),
    ("MUARA_TIME_ZONE", "Mars/Olympus", "a time zone name such as Asia/Jakarta"),
    ("MUARA_TIME_ZONE", "../etc/passwd", "a time zone name such as Asia/Jakarta"),
    ("MUARA_LOGIN_RATE_LIMIT", "10 per minit", "a rate such as 10 per minute"),
    ("MUARA_LOGIN_RATE_LIMIT", "ten", "a rate such as 10 per minute"),
])
def test_an_unknown_value_stops_the_app_naming_the_variable_and_what_it_accepts(
        clean_env, monkeypatch, name, value, accepted):
    """A typo must not turn a protection off: MUARA_CSRF=ture used to mean "no CSRF"."""
    monkeypatch.setenv(name, value)
    with pytest.raises(config.SettingError) as raised:
        config.build_config()
    assert str(raised.value) == f"{name} must be {'one of ' if ',' in accepted else ''}" \
        f"{accepted}, got {value!r}"


def test_a_login_rate_is_kept_as_written(clean_env, monkeypatch):
    monkeypatch.setenv("MUARA_LOGIN_RATE_LIMIT", "5/minute;100 per hour")
    assert config.build_config()["LOGIN_RATE_LIMIT"] == "5/minute;100 per hour"


def test_the_default_login_rate_is_a_rate_flask_limiter_reads(clean_env, monkeypatch):
    """build_config() parses only a rate that is set (start-up, issue 15): the default
    must parse."""
    from limits import parse_many
    monkeypatch.delenv("MUARA_LOGIN_RATE_LIMIT", raising=False)
    rate = config.build_config()["LOGIN_RATE_LIMIT"]
    assert rate == "10 per minute"
    assert [(item.amount, item.GRANULARITY.name) for item in parse_many(rate)] == \
        [(10, "minute")]


def test_the_log_level_is_read_in_any_case(clean_env, monkeypatch):
    monkeypatch.setenv("MUARA_LOG_LEVEL", "info")
    assert config.build_config()["LOG_LEVEL"] == "INFO"


def test_the_app_does_not_start_and_says_why_in_one_line(clean_env):
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, MUARA_CSRF="ture", MUARA_INSTANCE=str(clean_env))
    started = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", "muara", "--help"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
        timeout=120)
    assert started.returncode != 0
    assert started.stderr.strip().splitlines() == [
        "muara: MUARA_CSRF must be one of 1, true, yes, on (on) or 0, false, no, off (off), "
        "got 'ture'"]
