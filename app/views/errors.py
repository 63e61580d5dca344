"""Readable error pages."""
from flask import current_app, render_template, request


def register_error_pages(app):
    @app.errorhandler(404)
    @app.errorhandler(405)
    def api_not_found(error):
        """The API answers in JSON (SPEC section 9) even for a path or method it lacks."""
        if request.path.startswith("/api/"):
            return {"message": error.description, "errors": {}}, error.code
        return error

    @app.errorhandler(413)
    def too_large(error):
        limit = readable_size(current_app.config["MAX_CONTENT_LENGTH"])
        message = (f"The file is larger than the upload limit of {limit}. Split it into "
                   "smaller files, or ask an administrator to raise the limit.")
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return {"message": message, "errors": {"file": [message]}}, 413
        return render_template("error.html", title="File too large", message=message,
                               base_template=current_app.appbuilder.base_template,
                               appbuilder=current_app.appbuilder), 413


def readable_size(size):
    """1048576 -> "1 MB", 1572864 -> "1.5 MB", 4096 -> "4 KB", 500 -> "500 bytes"."""
    if not size:
        return "0 bytes"
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"
