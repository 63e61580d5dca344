"""Settings from the environment, with safe defaults (no fixed secret, SQLite, embedded)."""
import os
import stat

import pytest

import config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MUARA_MAX_UPLOAD_MB",
                 "MUARA_RETENTION_DAYS", "MAIL_SERVER", "MAIL_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUARA_INSTANCE", str(tmp_path / "inst"))
    return tmp_path / "inst"


def test_defaults_are_sqlite_in_the_instance_folder_and_the_embedded_queue(clean_env):
    settings = config.build_config()
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{clean_env / 'muara.db'}"
    assert settings["REDIS_URL"] is None
    assert settings["RETENTION_DAYS"] == 30
    assert settings["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024


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
