"""Every form post (ours too, not only the framework's forms) carries a CSRF token.
Only the app that serves pages loads this: Flask-WTF and WTForms take about 15 ms to
import, which a command that serves no page need not pay (issue 15, start-up)."""
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
