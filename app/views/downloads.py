"""File downloads."""
import io

from flask import request, send_file

from app.services.audit import record_now, viewer_org_code


def attachment(content, filename, mimetype):
    """A download. Werkzeug writes the Content-Disposition: quotes escaped, and a name
    that is not ASCII as an ASCII fallback plus `filename*` (RFC 6266), since a header
    with raw non-latin-1 text cannot be sent by a WSGI server at all."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    record_download(filename)
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=filename, etag=False, max_age=0)


def record_download(filename):
    """A screen download is an export: recorded under the screen that served it, the
    record it came from and the downloader's organization."""
    record_now("export", request.endpoint, first_view_arg(), viewer_org_code(), filename)


def first_view_arg():
    return next(iter((request.view_args or {}).values()), None)
