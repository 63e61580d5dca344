"""Two languages, Bahasa Indonesia and English (issue 16), through the framework's Babel
support: which language and time zone a request uses (`choice`), how dates, numbers and
times read in them (`formats`), and the catalogues compiled from app/translations.

The CLI and the REST API keep English: they never choose a locale, so they get the
default one (BABEL_DEFAULT_LOCALE, English).
"""
from app.i18n.catalogues import compile_catalogues
from app.i18n.choice import install_choice


def install_localization(app, appbuilder):
    """Compile the catalogues if their sources changed, and let each request speak the
    user's language in the organization's time zone."""
    compile_catalogues()
    install_choice(app, appbuilder)


def install_command_localization(app):
    """The lean app of a command (app.create_app): Flask-Babel with the catalogues and
    selectors the framework's Babel gets in the whole app, so result e-mails written by
    a command or a worker read as they do from the portal."""
    import importlib.util
    import os

    from flask_babel import Babel

    from app.i18n.choice import select_locale, select_timezone
    compile_catalogues()
    framework = importlib.util.find_spec("flask_appbuilder").submodule_search_locations[0]
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    ours = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = (
        os.path.join(framework, "translations") + ";" + ours)
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
