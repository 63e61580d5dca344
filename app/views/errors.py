"""Readable error pages."""
from flask import current_app, render_template, request


def register_error_pages(app):
    @app.errorhandler(413)
    def too_large(error):
        limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = (f"The file is larger than the upload limit of {limit_mb} MB. Split it into "
                   "smaller files, or ask an administrator to raise the limit.")
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return {"message": message, "errors": {"file": [message]}}, 413
        return render_template("error.html", title="File too large", message=message,
                               base_template=current_app.appbuilder.base_template,
                               appbuilder=current_app.appbuilder), 413
