"""E-mail to the uploader when an import ends (IMP-7, seed 002), sent over SMTP."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app.importing.modules import module_label
from app.importing.reading_words import warnings_paragraph
from app.models.imports import ImportStatus
from app.models.templates import RejectionPolicy

log = logging.getLogger(__name__)


def rejection_log_url(imp):
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return f"{base}/rejections/list/?_flt_0_import_file={imp.id}"


def import_result_message(imp):
    """(subject, body) for the uploader, ending with the file's state in the screens'
    words."""
    subject, body = _result_message(imp)
    return subject, body + state_line(imp)


def _result_message(imp):
    what = f"{module_label(imp.module)} file {imp.filename} (import #{imp.id})"
    warned = warnings_paragraph(imp.warnings_json)  # how the file was read (issue 13)
    if imp.status == ImportStatus.imported and imp.staged_at is not None:
        # Smart-Portal modules: validated, waiting for Sync All or the daily run (seed 000).
        return (f"Muara: {what} imported, waiting for consolidation",
                f"Your {what} was imported and waits for consolidation (the principal's "
                f"Sync All, or the daily run).\n\nRows read: {imp.rows_done}\n"
                f"Accepted: {imp.accepted}\nRejected: {imp.rejected}\n" + warned
                + (f"\nReview the reasons here:\n{rejection_log_url(imp)}\n"
                   if imp.rejected else ""))
    if imp.status == ImportStatus.archived:
        return (f"Muara: {what} imported",
                f"Your {what} was imported successfully.\n\n"
                f"Rows read: {imp.rows_done}\nImported: {imp.accepted}\nRejected: 0\n" + warned)
    if imp.status == ImportStatus.needs_attention:
        # "All or nothing" (IMP-9): `accepted` counts the valid rows, none of them written.
        imported = 0 if _all_or_nothing(imp) else imp.accepted
        return (f"Muara: {imp.rejected} records of {imp.filename} were not imported",
                f"Your {what} was processed, but {imp.rejected} of {imp.rows_done} records "
                f"could not be imported.\n\nImported: {imported}\nRejected: {imp.rejected}\n"
                + warned + (f"\n{imp.error_message}\n" if imp.error_message else "")
                + f"\nReview the reasons here:\n{rejection_log_url(imp)}\n")
    return (f"Muara: {imp.filename} could not be imported",
            f"Your {what} could not be imported:\n\n{imp.error_message}\n")


def _all_or_nothing(imp):
    template = imp.template
    return template is not None and template.policy == RejectionPolicy.all_or_nothing


def state_line(imp):
    """The file's state in the words of the Files list (app.models.imports.STATE_WORDS)."""
    return f"\nState: {imp.status.label}. {imp.status.meaning}\n"


def send_import_result(imp):
    """Send the result to the uploader; a mail failure never fails the import."""
    config = current_app.config
    user = imp.uploaded_by
    if not config.get("MAIL_ENABLED") or user is None or not user.email:
        return False
    subject, body = import_result_message(imp)
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = user.email
    message["Subject"] = subject
    message.set_content(body)
    try:
        smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send the result of import %s to %s", imp.id, user.email)
        return False
