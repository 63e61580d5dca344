"""E-mail to the uploader when an import ends (IMP-7, seed 002).

Every message is written to the outbox (`MailMessage`, issue 17.1): without a mail
server (MAIL_SERVER unset, the embedded default) it stays there for the Admin to read;
with one it is sent over SMTP and the row says whether the server took it, and why not.
"""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from app.extensions import db
from app.i18n.choice import account_language
from app.i18n.formats import number_text
from app.i18n.message_words import message_words
from app.importing.modules import module_label
from app.importing.reading_words import warnings_paragraph
from app.models.imports import ImportStatus
from app.models.mail import MailMessage, MailState
from app.models.templates import RejectionPolicy
from app.services.transaction import owns_transaction

log = logging.getLogger(__name__)
FALLBACK_URL = "http://localhost:5000"


def mail_configured(config=None):
    """Whether result e-mails leave the portal (else they are kept in the outbox)."""
    config = config or current_app.config
    return bool(config.get("MAIL_ENABLED") and config.get("MAIL_SERVER"))


def portal_url(imp):
    """The portal's address for links: MUARA_PUBLIC_URL, else the address the uploader
    used when they uploaded the file."""
    base = current_app.config.get("PUBLIC_URL") or imp.base_url or FALLBACK_URL
    return base.rstrip("/")


def rejection_log_url(imp):
    return f"{portal_url(imp)}/rejections/list/?_flt_0_import_file={imp.id}"


def import_result_message(imp):
    """(subject, body) for the uploader, in their language (their account's, else their
    organization's), ending with the file's state in the screens' words."""
    user = imp.uploaded_by
    language = account_language(user.id) if user is not None else None
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, body = _result_message(imp)
        return subject, body + state_line(imp)


def _count(n):
    """A count in the message, grouped the reader's way: 1.234 in Indonesian, 1,234 in
    English (as on the screens)."""
    return str(n) if n is None else number_text(n)


def _rows_read(n):
    return _("Rows read: %(n)s", n=_count(n)) + "\n"


def _accepted(n):
    return _("Accepted: %(n)s", n=_count(n)) + "\n"


def _imported(n):
    return _("Imported: %(n)s", n=_count(n)) + "\n"


def _rejected(n):
    return _("Rejected: %(n)s", n=_count(n)) + "\n"


def _review(imp):
    return "\n" + _("Review the reasons here:") + f"\n{rejection_log_url(imp)}\n"


def _result_message(imp):
    what = _("%(module)s file %(filename)s (import #%(id)s)",
             module=_(module_label(imp.module)), filename=imp.filename, id=imp.id)
    warned = warnings_paragraph(imp.warnings_json)  # how the file was read (issue 13)
    if imp.status == ImportStatus.imported and imp.staged_at is not None:
        # Smart-Portal modules: validated, waiting for Sync All or the daily run (seed 000).
        return (_("Muara: %(what)s imported, waiting for consolidation", what=what),
                _("Your %(what)s was imported and waits for consolidation (the principal's "
                  "Sync All, or the daily run).", what=what) + "\n\n"
                + _rows_read(imp.rows_done) + _accepted(imp.accepted)
                + _rejected(imp.rejected)
                + warned + (_review(imp) if imp.rejected else ""))
    if imp.status == ImportStatus.archived:
        return (_("Muara: %(what)s imported", what=what),
                _("Your %(what)s was imported successfully.", what=what) + "\n\n"
                + _rows_read(imp.rows_done) + _imported(imp.accepted) + _rejected(0)
                + warned)
    if imp.status == ImportStatus.needs_attention:
        # "All or nothing" (IMP-9): `accepted` counts the valid rows, none of them written.
        imported = 0 if _all_or_nothing(imp) else imp.accepted
        return (ngettext("Muara: %(rejected)s record of %(filename)s was not imported",
                         "Muara: %(rejected)s records of %(filename)s were not imported",
                         imp.rejected, rejected=_count(imp.rejected), filename=imp.filename),
                _("Your %(what)s was processed, but %(rejected)s of %(rows)s records could "
                  "not be imported.", what=what, rejected=_count(imp.rejected),
                  rows=_count(imp.rows_done)) + "\n\n"
                + _imported(imported) + _rejected(imp.rejected)
                + warned + (f"\n{message_words(imp.error_message)}\n" if imp.error_message else "")
                + _review(imp))
    return (_("Muara: %(filename)s could not be imported", filename=imp.filename),
            _("Your %(what)s could not be imported:", what=what)
            + f"\n\n{message_words(imp.error_message)}\n")


def _all_or_nothing(imp):
    template = imp.template
    return template is not None and template.policy == RejectionPolicy.all_or_nothing


def state_line(imp):
    """The file's state in the words of the Files list (app.models.imports.STATE_WORDS)."""
    return "\n" + _("State: %(label)s. %(meaning)s", label=imp.status.label,
                     meaning=imp.status.meaning) + "\n"


@owns_transaction
def send_import_result(imp):
    """Tell the uploader: sent, or kept in the outbox. A mail failure never fails the
    import: it is recorded on the message. Returns the outbox row (None: no message)."""
    config = current_app.config
    user = imp.uploaded_by
    if not config.get("MAIL_ENABLED") or user is None or not user.email:
        return None
    subject, body = import_result_message(imp)
    row = MailMessage(recipient=user.email, subject=subject, body=body,
                      state=MailState.kept, import_id=imp.id)
    if config.get("MAIL_SERVER"):
        reason = _deliver(config, user.email, subject, body)
        row.state = MailState.not_sent if reason else MailState.sent
        row.reason = reason
        if reason:
            log.warning("could not send the result of import %s to %s: %s", imp.id,
                        user.email, reason)
    db.session.add(row)
    return row


def _deliver(config, recipient, subject, body):
    """Send over SMTP; None when the server took it, else the reason in words."""
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    server = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    try:
        smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
        return None
    except ConnectionRefusedError:
        return f"The mail server {server} refused the connection (is it running?)."
    except smtplib.SMTPException as exc:
        return f"The mail server {server} did not take the message: {exc}"
    except OSError as exc:
        return f"The mail server {server} could not be reached: {exc.strerror or exc}"
