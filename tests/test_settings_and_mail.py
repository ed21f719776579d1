"""Production refuses default secrets; mail leaves through SMTP to a real server."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from siex.config import Settings
from siex_api.main import create_app


def test_production_needs_explicit_secrets(tmp_path):
    with pytest.raises(RuntimeError, match="SIEX_SECRET_KEY, SIEX_JWT_SECRET"):
        create_app(Settings(home=tmp_path, environment="production"))
    with pytest.raises(RuntimeError, match="SIEX_JWT_SECRET"):
        create_app(
            Settings(
                home=tmp_path, environment="production", secret_key="k" * 40, jwt_secret="short"
            )
        )
    app = create_app(
        Settings(home=tmp_path, environment="production", secret_key="k" * 40, jwt_secret="j" * 40)
    )
    assert app.state.settings.resolved_jwt_secret() == "j" * 40
    # Development derives a JWT secret from the generated key: stable, not a constant.
    dev = Settings(home=tmp_path / "dev")
    assert dev.resolved_jwt_secret() == Settings(home=tmp_path / "dev").resolved_jwt_secret()
    assert dev.resolved_jwt_secret() != Settings(home=tmp_path / "other").resolved_jwt_secret()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_verification_mail_goes_out_through_smtp(siex_home, monkeypatch):
    """With SIEX_MAIL_BACKEND=smtp, registering sends a real SMTP message whose token
    verifies the account."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = siex_home.model_copy(update={"mail_backend": "smtp", "smtp_port": port})
        with TestClient(create_app(settings)) as client:
            response = client.post(
                "/v1/auth/register",
                json={"email": "mail@example.com", "password": "correct horse battery"},
            )
            assert response.status_code == 201
            deadline = time.monotonic() + 5
            while not inbox.messages and time.monotonic() < deadline:
                time.sleep(0.02)
            recipients, message = inbox.messages[-1]
            assert recipients == ["mail@example.com"]
            assert message["X-SIEX-Kind"] == "verify" and "Confirm" in message["Subject"]
            token = message.get_payload(decode=True).decode().split("token: ")[1].split()[0]
            verified = client.post("/v1/auth/verify", json={"token": token})
            assert verified.status_code == 200 and verified.json()["email_verified"]
    finally:
        controller.stop()
    assert not (siex_home.home / "outbox.jsonl").exists()


def test_a_mail_server_that_is_down_does_not_lose_the_account(siex_home):
    settings = siex_home.model_copy(update={"mail_backend": "smtp", "smtp_port": _free_port()})
    with TestClient(create_app(settings)) as client:
        body = {"email": "down@example.com", "password": "correct horse battery"}
        assert client.post("/v1/auth/register", json=body).status_code == 201
        assert client.post("/v1/auth/login", json=body).status_code == 200
