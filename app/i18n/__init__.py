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
