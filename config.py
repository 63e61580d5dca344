"""Settings, all from environment variables, with safe defaults.

Defaults give the embedded mode: a SQLite file in the instance folder and an in-process
queue worker. Set DATABASE_URL and REDIS_URL to run at scale.
"""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingError(RuntimeError):
    """A setting the app cannot use. Settings fail closed: an unknown value (a typo in
    MUARA_CSRF) stops the app at start-up instead of silently meaning "off"."""


def env_str(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name, default, minimum=0):
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise SettingError(f"{name} must be a whole number of at least {minimum}, "
                           f"got {value!r}")
    return number


def env_bool(name, default=False):
    value = env_str(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise SettingError(f"{name} must be one of {', '.join(TRUE_WORDS)} (on) or "
                       f"{', '.join(FALSE_WORDS)} (off), got {value!r}")


def env_choice(name, default, choices):
    """One of `choices` (case-insensitive), returned as written in `choices`."""
    value = env_str(name)
    if value is None:
        return default
    for choice in choices:
        if value.strip().lower() == choice.lower():
            return choice
    raise SettingError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def env_time(name, default):
    """A time of day, HH:MM (24 hours)."""
    value = env_str(name, default)
    parts = value.split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) < 24 \
            and int(parts[1]) < 60:
        return f"{int(parts[0]):02d}:{int(parts[1]):02d}"
    raise SettingError(f"{name} must be a time of day as HH:MM (00:00 to 23:59), "
                       f"got {value!r}")


def env_zone(name, default):
    """An IANA time zone name (Asia/Jakarta), checked against the zone database."""
    import zoneinfo
    value = env_str(name, default).strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"{name} must be a time zone name such as Asia/Jakarta, "
                           f"got {value!r}") from None
    return value


def env_rate(name, default):
    """A Flask-Limiter rate ("10 per minute", several joined by ";"), checked now: a typo
    would otherwise switch the limit off at the first request, not stop the app. The
    default is not parsed: `limits` takes 13 ms to import, and every command pays it
    (issue 15, start-up); tests/test_config.py parses the default."""
    value = env_str(name)
    if value is None:
        return default
    from limits import parse_many
    value = value.strip()
    try:
        parse_many(value)
    except ValueError:
        raise SettingError(f"{name} must be a rate such as 10 per minute, "
                           f"got {value!r}") from None
    return value


def instance_dir():
    path = Path(env_str("MUARA_INSTANCE", BASE_DIR / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def persistent_secret_key(folder):
    """The SECRET_KEY: from the environment, else generated once and kept in the instance
    folder (readable by the owner only), so sessions survive restarts and no fixed
    string ever ships in the code."""
    key_file = Path(folder) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def normalise_database_url(url):
    # Plain postgresql:// URLs get the psycopg 3 driver we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def build_config():
    folder = instance_dir()
    database_url = normalise_database_url(
        env_str("DATABASE_URL", f"sqlite:///{folder / 'muara.db'}")
    )
    return {
        "INSTANCE_DIR": str(folder),
        "SECRET_KEY": env_str("SECRET_KEY") or persistent_secret_key(folder),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        # None = embedded queue (fakeredis + worker thread in this process).
        "REDIS_URL": env_str("REDIS_URL"),
        "QUEUE_NAME": env_str("MUARA_QUEUE", "muara"),
        "LOG_LEVEL": env_choice("MUARA_LOG_LEVEL", "WARNING", LOG_LEVELS),
        "EMBEDDED_WORKER": env_bool("MUARA_EMBEDDED_WORKER", True),
        # `muara worker` lowers its CPU priority by this much (0-19, Unix nice): on a
        # machine that also serves pages, people's pages come before background imports.
        "WORKER_NICE": env_int("MUARA_WORKER_NICE", 10, minimum=0),
        # How often (seconds) waiting work is checked against the queue and re-queued.
        "REQUEUE_INTERVAL": env_int("MUARA_REQUEUE_INTERVAL", 60, minimum=1),
        # A queued task older than this with no job on the queue counts as lost.
        "REQUEUE_GRACE_SECONDS": env_int("MUARA_REQUEUE_GRACE_SECONDS", 30),
        # A running job that has not beaten for this long counts as lost (worker killed).
        "TASK_STALE_SECONDS": env_int("MUARA_TASK_STALE_SECONDS", 300, minimum=1),
        # A running import retries a lost database connection (back-off) this long, then
        # fails the file with the reason; deadlocks and serialization failures are retried.
        "DB_RETRY_SECONDS": env_int("MUARA_DB_RETRY_SECONDS", 300, minimum=1),
        "MAX_CONTENT_LENGTH": env_int("MUARA_MAX_UPLOAD_MB", 500, minimum=1) * 1024 * 1024,
        # A spreadsheet (a zip) that would unpack to more than this is refused unread.
        "MAX_UNPACKED_MB": env_int("MUARA_MAX_UNPACKED_MB", 1024, minimum=1),
        # A list counts its rows exactly up to this many; past it, it shows an estimate.
        "LIST_EXACT_COUNT_LIMIT": env_int("MUARA_LIST_EXACT_COUNT_LIMIT", 100_000, minimum=1),
        "IMPORT_BATCH_SIZE": env_int("MUARA_IMPORT_BATCH_SIZE", 20000, minimum=1),
        # Sync records applied per transaction (the integration's lock is held that long).
        "SYNC_CHUNK": env_int("MUARA_SYNC_CHUNK", 500, minimum=1),
        "RETENTION_DAYS": env_int("MUARA_RETENTION_DAYS", 30),
        # Days an audit trail event is kept (the daily purge deletes older ones).
        "AUDIT_RETENTION_DAYS": env_int("MUARA_AUDIT_RETENTION_DAYS", 365),
        # The daily consolidation of waiting files (seed 000) and the retention purge,
        # at these local times; SCHEDULE_INTERVAL (seconds) replaces both times with an
        # interval, to try the schedule out. The embedded scheduler can be turned off.
        # The organizations' local time: every time a person reads or enters (sync
        # settings, timestamps on screens) is in this zone; the database keeps UTC.
        "TIME_ZONE": env_zone("MUARA_TIME_ZONE", "Asia/Jakarta"),
        "CONSOLIDATION_TIME": env_time("MUARA_CONSOLIDATION_TIME", "02:00"),
        "PURGE_TIME": env_time("MUARA_PURGE_TIME", "03:00"),
        "SCHEDULE_INTERVAL": env_int("MUARA_SCHEDULE_INTERVAL", 0),
        "EMBEDDED_SCHEDULER": env_bool("MUARA_EMBEDDED_SCHEDULER", True),
        # Links in e-mails; unset, they use the address the uploader used (issue 17.1).
        "PUBLIC_URL": env_str("MUARA_PUBLIC_URL"),
        # Unset (embedded mode): e-mails are kept in the outbox (Operations > Outbox).
        "MAIL_SERVER": env_str("MAIL_SERVER"),
        "MAIL_PORT": env_int("MAIL_PORT", 25, minimum=1),
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": env_str("MAIL_USERNAME"),
        "MAIL_PASSWORD": env_str("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env_str("MAIL_DEFAULT_SENDER", "muara@localhost"),
        "MAIL_ENABLED": env_bool("MAIL_ENABLED", True),
        # Accurate Online (INT-3): the app registered at Accurate's developer area.
        "ACCURATE_CLIENT_ID": env_str("ACCURATE_CLIENT_ID"),
        "ACCURATE_CLIENT_SECRET": env_str("ACCURATE_CLIENT_SECRET"),
        "ACCURATE_ACCOUNT_URL": env_str("ACCURATE_ACCOUNT_URL", "https://account.accurate.id"),
        "ACCURATE_SCOPE": env_str("ACCURATE_SCOPE"),
        "ACCURATE_PAGE_SIZE": env_int("ACCURATE_PAGE_SIZE", 100, minimum=1),
        # Flask-AppBuilder
        "APP_NAME": "Muara",
        "AUTH_TYPE": 1,  # AUTH_DB
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "FAB_API_SWAGGER_UI": True,
        "FAB_ADD_SECURITY_API": False,
        # The schema comes from migrations only; the framework must not create_all()
        # when an app starts. `muara init` lets it add its roles after upgrading.
        "FAB_CREATE_DB": False,
        "WTF_CSRF_ENABLED": env_bool("MUARA_CSRF", True),
        **security_settings(env_str("REDIS_URL"), env_str("MUARA_PUBLIC_URL", "")),
        **localization_settings(),
    }


def localization_settings():
    """Two languages (issue 16); an organization's own language and time zone win over
    these defaults and TIME_ZONE (app/i18n)."""
    translations = BASE_DIR / "app" / "translations"
    return {
        "LANGUAGES": {"id": {"flag": "id", "name": "Bahasa Indonesia"},
                      "en": {"flag": "gb", "name": "English"}},
        "BABEL_DEFAULT_LOCALE": env_choice("MUARA_LANGUAGE", "en", ("en", "id")),
        # Muara's catalogues after the framework's (the later wins): app/i18n/catalogues.
        "BABEL_TRANSLATION_DIRECTORIES": f"{translations / 'framework'};"
                                         f"{translations / 'muara'}",
    }


def security_settings(redis_url, public_url):
    """Sign-in protection, password policy, sessions, headers (README "Security")."""
    lifetime_minutes = env_int("MUARA_SESSION_LIFETIME_MINUTES", 12 * 60)
    return {
        # Per address, on POST /login/ and /api/v1/security/login (Flask-Limiter).
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "LOGIN_RATE_LIMIT": env_rate("MUARA_LOGIN_RATE_LIMIT", "10 per minute"),
        # Per account: locked from the 5th failure in a row, 1 minute doubling to 1 hour.
        "LOGIN_LOCKOUT_THRESHOLD": env_int("MUARA_LOCKOUT_THRESHOLD", 5),
        "LOGIN_LOCKOUT_SECONDS": env_int("MUARA_LOCKOUT_SECONDS", 60),
        "LOGIN_LOCKOUT_MAX_SECONDS": env_int("MUARA_LOCKOUT_MAX_SECONDS", 3600),
        "PASSWORD_MIN_LENGTH": env_int("MUARA_PASSWORD_MIN_LENGTH", 12),
        # A session ends this long after sign-in, or after this long unused.
        "SESSION_LIFETIME_MINUTES": lifetime_minutes,
        "SESSION_IDLE_MINUTES": env_int("MUARA_SESSION_IDLE_MINUTES", 60),
        "PERMANENT_SESSION_LIFETIME": lifetime_minutes * 60,
        # Secure cookies when the portal is reached over HTTPS (MUARA_PUBLIC_URL).
        "SESSION_COOKIE_SECURE": env_bool("MUARA_SESSION_COOKIE_SECURE",
                                          public_url.startswith("https://")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Number of proxies in front whose X-Forwarded-For/-Proto/-Host/-Port to trust.
        "PROXY_FIX": env_int("MUARA_PROXY_FIX", 0),
        # Largest page size a list screen accepts (?psize_...=).
        "MAX_PAGE_SIZE": env_int("MUARA_MAX_PAGE_SIZE", 500),
    }
