"""The outbox: every e-mail the portal wrote, with what became of it (issue 17.1).

Without a mail server (embedded mode) a message is kept here for the Admin to read; with
one, the row records whether the server took it, and why not when it refused."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from app.models.mixins import ValueEnum
from app.models.tasks import utcnow


class MailState(ValueEnum):
    kept = "kept"          # no mail server configured: kept in the outbox only
    sent = "sent"          # the mail server accepted it
    not_sent = "not_sent"  # the mail server refused it or could not be reached

    @property
    def label(self):
        return {"kept": "Kept in the outbox (no mail server)", "sent": "Sent",
                "not_sent": "Not sent"}[self.value]


class MailMessage(Model):
    __tablename__ = "mail_message"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    recipient = Column(String(255), nullable=False)
    subject = Column(String(500), nullable=False)
    body = Column(Text, nullable=False)
    state = Column(Enum(MailState, name="mail_state", native_enum=False, length=10),
                   nullable=False, index=True)
    reason = Column(Text)  # why the server did not take it (state not_sent)
    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"))
    import_file = relationship("ImportFile")

    def __repr__(self):
        return f"{self.subject} (to {self.recipient})"

    def state_name(self):
        return self.state.label
