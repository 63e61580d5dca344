"""File downloads."""
import io

from flask import send_file


def attachment(content, filename, mimetype):
    """A download. Werkzeug writes the Content-Disposition: quotes escaped, and a name
    that is not ASCII as an ASCII fallback plus `filename*` (RFC 6266), since a header
    with raw non-latin-1 text cannot be sent by a WSGI server at all."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=filename, etag=False, max_age=0)
