"""Readable error pages, inside the portal's layout."""
from decimal import Decimal

from flask import current_app, g, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from app.i18n.formats import number_text

# The page a person sees for a status the framework would answer with a bare page.
PAGES = {
    400: (lazy_gettext("Bad request"), lazy_gettext("The request could not be understood.")),
    429: (lazy_gettext("Too many attempts"),
          lazy_gettext("Too many attempts. Wait a minute and try again.")),
    403: (lazy_gettext("Not allowed"),
          lazy_gettext("You do not have permission to open this page. If you need it, "
                       "ask an administrator for the right role.")),
    404: (lazy_gettext("Page not found"),
          lazy_gettext("There is no such page, or what it showed does not exist (any "
                       "more) or is not yours to see.")),
}


def register_error_pages(app):
    @app.errorhandler(400)
    @app.errorhandler(429)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def readable_error(error):
        """The API answers in JSON (SPEC section 9) even for a path or method it lacks."""
        if request.path.startswith("/api/") or wants_json():
            return {"message": error.description, "errors": {}}, error.code
        if error.code not in PAGES:
            return error
        title, message = PAGES[error.code]
        if error.code in (400, 429) and error.description:
            message = error.description  # what exactly was refused, written for the user
        return error_page(title, message), error.code

    @app.errorhandler(413)
    def too_large(error):
        limit = readable_size(current_app.config["MAX_CONTENT_LENGTH"])
        message = gettext("The file is larger than the upload limit of %(limit)s. Split it "
                          "into smaller files, or ask an administrator to raise the limit.",
                          limit=limit)
        if wants_json() or request.path.startswith("/api/"):
            return {"message": message, "errors": {"file": [message]}}, 413
        return error_page(gettext("File too large"), message), 413


def wants_json():
    return request.accept_mimetypes.best == "application/json"


def error_page(title, message):
    # An error raised before the framework's before_request (e.g. 413 while the body is
    # read) has no g.user yet; the layout needs it.
    if not hasattr(g, "user"):
        g.user = current_user
    return render_template("error.html", title=title, message=message,
                           base_template=current_app.appbuilder.base_template,
                           appbuilder=current_app.appbuilder)


def readable_size(size):
    """1048576 -> "1 MB", 1572864 -> "1.5 MB" ("1,5 MB" in Indonesian), 4096 -> "4 KB",
    500 -> "500 bytes"."""
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size and size >= factor:
            return f"{number_text(Decimal(f'{size / factor:.1f}'))} {unit}"
    return gettext("%(num)s bytes", num=size or 0)
