"""The notifier: how mail leaves SIE-X (verification, password reset, invitations).

``outbox`` appends each message as a JSON line under SIEX_HOME (development, tests
that want no server); ``smtp`` hands it to an SMTP server with the standard library.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
from email.message import EmailMessage
from pathlib import Path

from siex.config import Settings
from siex.platform.models import utcnow

_lock = threading.Lock()
log = logging.getLogger("siex.mail")


class Notifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def outbox(self) -> Path:
        return self.settings.home / "outbox.jsonl"

    def send_email(self, to: str, subject: str, body: str, kind: str) -> bool:
        """Send one mail; False (logged, without its body) when the mail server fails:
        the account operation stands and the user can ask again."""
        try:
            self._send(to, subject, body, kind)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("could not send the %s mail: %s: %s", kind, type(exc).__name__, exc)
            return False
        return True

    def _send(self, to: str, subject: str, body: str, kind: str) -> None:
        if self.settings.mail_backend == "smtp":
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = (
                self.settings.mail_from,
                to,
                subject,
            )
            message["X-SIEX-Kind"] = kind
            message.set_content(body)
            with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
            return
        line = {
            "at": utcnow().isoformat(),
            "to": to,
            "subject": subject,
            "kind": kind,
            "body": body,
        }
        with _lock:
            self.outbox.parent.mkdir(parents=True, exist_ok=True)
            with self.outbox.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line) + "\n")


def verification_mail(settings: Settings, token: str) -> tuple[str, str]:
    link = f"{settings.public_url}/v1/auth/verify?token={token}"
    return "Confirm your SIE-X email", f"Confirm your email address:\n\n{link}\n\ntoken: {token}\n"


def reset_mail(settings: Settings, token: str) -> tuple[str, str]:
    return (
        "Reset your SIE-X password",
        "Someone asked to reset your password. If it was you, send this token to "
        f"POST {settings.public_url}/v1/auth/password-reset/confirm within the hour:\n\n"
        f"token: {token}\n\nIf it was not you, ignore this mail.\n",
    )


def invitation_mail(settings: Settings, tenant_name: str, role: str, token: str) -> tuple[str, str]:
    return (
        f"You are invited to {tenant_name} on SIE-X",
        f"You are invited to join {tenant_name} as {role}. Sign in and send this token to "
        f"POST {settings.public_url}/v1/invitations/accept:\n\ntoken: {token}\n",
    )
