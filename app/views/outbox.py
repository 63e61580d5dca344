"""The Outbox screen (Admin only, issue 17.1): every e-mail the portal wrote, newest
first, with its state: kept (no mail server configured), sent, or not sent and why.
Read-only: the view offers no add, edit or delete."""
from flask import current_app
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from app.models.mail import MailMessage, MailState
from app.notifications import mail_configured


def body_text(text):
    """The message as written (escaped: it quotes file names and reasons)."""
    return Markup('<pre class="mail-body">') + escape(text or "") + Markup("</pre>")


class OutboxView(ModelView):
    datamodel = SQLAInterface(MailMessage)
    route_base = "/outbox"
    base_permissions = ["can_list", "can_show"]
    list_title = "Outbox"
    show_title = "E-mail"
    base_order = ("created_at", "desc")
    page_size = 25
    list_columns = ["created_at", "recipient", "subject", "state_name", "reason"]
    show_columns = ["created_at", "recipient", "subject", "state_name", "reason",
                    "import_file", "body"]
    search_columns = ["recipient", "subject", "state", "created_at", "body"]
    order_columns = ["created_at", "recipient", "subject"]
    label_columns = {"created_at": "Written", "recipient": "To", "state_name": "State",
                     "state": "State", "reason": "Why not sent", "import_file": "File",
                     "body": "Message"}
    formatters_columns = {"body": body_text}


def mail_note(imp):
    """(alert style, sentence) about the result e-mail of `imp` for its file page, or None
    (no e-mail is written for it: mail turned off, or nobody to write to)."""
    user = imp.uploaded_by
    if not current_app.config.get("MAIL_ENABLED") or user is None or not user.email:
        return None
    message = db.session.execute(
        select(MailMessage).where(MailMessage.import_id == imp.id)
        .order_by(MailMessage.id.desc()).limit(1)).scalar()
    if message is None:
        if mail_configured():
            return None
        return ("info", gettext("E-mail is not configured: the result will be kept in the "
                                "outbox (an Admin reads it under Operations > Outbox)."))
    if message.state == MailState.kept:
        return ("info", gettext("E-mail is not configured: the result was kept in the outbox "
                                "(an Admin reads it under Operations > Outbox), not sent to "
                                "%(recipient)s.", recipient=message.recipient))
    if message.state == MailState.not_sent:
        return ("warning", gettext("The result e-mail to %(recipient)s was not sent: %(reason)s",
                                   recipient=message.recipient, reason=message.reason))
    return ("success", gettext("The result was e-mailed to %(recipient)s.",
                               recipient=message.recipient))
