"""E-mail through SMTP: the outbox's messages are delivered here, with retries and back-off."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..config import Settings
from ..store.notices import Mail, Notices

log = logging.getLogger(__name__)
SMTP_SECONDS = 20  # one connection's time budget: a dead server never holds the sender long


@dataclass
class Delivery:
    """What one pass over the outbox did."""

    sent: int = 0
    failed: int = 0
    last_error: str = ""


def deliver(notices: Notices, settings: Settings, at: datetime, *, every: bool = False) -> Delivery:
    """Send the outbox's due messages (every pending one with ``every``) over one connection;
    each failure is recorded on its message, which is retried later."""
    report = Delivery()
    mails = notices.claim_due(at, every=every) if settings.email_on else []
    if not mails:
        return report
    try:
        with connect(settings) as smtp:
            for mail in mails:
                try:
                    smtp.send_message(message(settings, mail))
                except (smtplib.SMTPException, OSError, ValueError) as error:
                    _failed(notices, report, mail, error, at)
                else:
                    notices.sent(mail.id)
                    report.sent += 1
    except (smtplib.SMTPException, OSError) as error:  # no connection: every claimed one waits
        for mail in mails[report.sent + report.failed:]:
            _failed(notices, report, mail, error, at)
    return report


def connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the configured server, secured and signed in as configured."""
    host, port = settings.smtp_host, settings.smtp_port_number
    if settings.smtp_tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_SECONDS,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_SECONDS)
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.smtp_username:
        smtp.login(settings.smtp_username, settings.smtp_password)
    return smtp


def message(settings: Settings, mail: Mail) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.smtp_sender
    email["To"] = mail.recipient
    email["Subject"] = " ".join(mail.subject.split())[:200]  # one line, whatever a title holds
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}")
    email.set_content(mail.body)
    return email


def _failed(notices: Notices, report: Delivery, mail: Mail, error: Exception,
            at: datetime) -> None:
    text = f"{type(error).__name__}: {error}"
    notices.failed(mail, text, at)
    report.failed += 1
    report.last_error = text
    log.warning("could not e-mail message %d to %s (attempt %d): %s", mail.id, mail.recipient,
                mail.attempts, text)
