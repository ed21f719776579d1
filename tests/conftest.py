"""Shared fixtures: a clean SIEX_HOME per test and a programmable HTTP server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from siex.config import Settings, get_settings

PG = "postgresql://postgres@127.0.0.1:5432"


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    return conn


@pytest.fixture(autouse=True)
def no_dagster_instance_left_open():
    """Fail the test that leaves a Dagster instance entered. An entered instance puts its
    state storage in a ContextVar; left there after the instance is gone, it breaks the
    next ``Definitions`` load of the process ("undefined DagsterInstance weakref") in an
    unrelated test. Contexts built by ``build_schedule_context`` and friends open such an
    instance on first use: use them in a ``with`` block."""
    import gc

    from dagster._core.storage.defs_state import base as defs_state

    before = defs_state.DefsStateStorage.get()
    yield
    gc.collect(1)  # an unclosed context's storage comes back when it is collected: now
    if defs_state.DefsStateStorage.get() is not before:
        defs_state._current_storage.set(before)  # the tests after start clean
        pytest.fail("a Dagster instance was left entered (use contexts in a `with` block)")


@pytest.fixture
def pg_database():
    """A fresh database on the machine's PostgreSQL server, dropped afterwards."""
    import secrets

    name = f"siex_test_{secrets.token_hex(4)}"
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    yield f"{PG}/{name}"
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


@pytest.fixture
def siex_home(tmp_path, monkeypatch) -> Settings:
    """Settings pointing at an empty SIEX_HOME (embedded SQLite, fresh warehouse)."""
    home = tmp_path / "siex-home"
    monkeypatch.setenv("SIEX_HOME", str(home))
    monkeypatch.delenv("SIEX_DATABASE_URL", raising=False)
    monkeypatch.setenv("SIEX_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("SIEX_FETCH_TIMEOUT_S", "5")
    monkeypatch.setenv("SIEX_MAX_PAGE_BYTES", str(2 * 1024 * 1024))
    # Loopback test sites need no politeness interval; tests of the limits set their own.
    monkeypatch.setenv("SIEX_HOST_MIN_INTERVAL_S", "0")
    return get_settings()


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )
    handler: Callable | None = None  # (request_handler) -> None, for anything unusual


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        """As GET without the body; recorded in ``server.heads``, not ``server.requests``.
        A route with a handler answers 405, like servers that refuse HEAD."""
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        server: LocalServer = self.server.owner  # type: ignore[attr-defined]
        (server.requests if with_body else server.heads).append((self.path, dict(self.headers)))
        route = server.routes.get(self.path)
        if route is None:
            route = Route(status=404, body=b"<html><body>not found</body></html>")
        if route.handler:
            if not with_body:
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            route.handler(self)
            return
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if with_body:
            self.wfile.write(route.body)

    def log_message(self, *args) -> None:
        pass


class LocalServer:
    """A loopback HTTP server whose routes tests set: ``server.routes["/x"] = Route(...)``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []  # GETs
        self.heads: list[tuple[str, dict]] = []  # HEADs
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def demo_sites():
    """The demo tenant's own and competitor sites served on loopback; their base URL."""
    from siex import demo_site

    srv = demo_site.serve(0)
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def server():
    srv = LocalServer()
    yield srv
    srv.close()


def article_html(title: str, paragraphs: list[str], lang: str = "en") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright</footer></body></html>"
    )


def rss_feed(base: str, items: list[tuple[str, str, str]]) -> bytes:
    """RSS 2.0 with (path, title, pubDate) items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{base}{p}</link><guid>{base}{p}</guid><pubDate>{d}</pubDate></item>"
        for p, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test</title>'
        f"<link>{base}/</link><description>t</description>{entries}</channel></rss>"
    ).encode()


class LiveApi:
    """The API served by a real uvicorn server on loopback, in a background thread."""

    def __init__(self, settings: Settings) -> None:
        import socket

        import uvicorn

        from siex_api.main import create_app

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveApi:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_api(siex_home):
    with LiveApi(siex_home) as api:
        yield api
