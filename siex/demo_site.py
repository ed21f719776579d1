"""The demo tenant's sample sites, served by a small static server on loopback.

XML files (feeds, sitemaps) carry ``{base}`` where the server's own URL belongs; it
is filled in at serving time, with Last-Modified and ETag so conditional GETs work.
"""

from __future__ import annotations

import hashlib
import threading
from email.utils import formatdate, parsedate_to_datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from siex.config import REPO_ROOT

SITE_ROOT = REPO_ROOT / "demo" / "site"
DEMO_SOURCES = (
    ("rss", "/own/feed.xml", "own"),
    ("sitemap", "/own/sitemap.xml", "own"),
    ("rss", "/competitor/atom.xml", "competitor"),
)


class DemoSiteHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.suffix != ".xml" or not path.is_file():
            return super().do_GET()
        base = f"http://{self.headers.get('Host') or '127.0.0.1'}"
        body = path.read_text(encoding="utf-8").replace("{base}", base).encode()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        mtime = int(path.stat().st_mtime)
        if self.headers.get("If-None-Match") == etag or _not_modified_since(
            self.headers.get("If-Modified-Since"), mtime
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)
        return None

    def log_message(self, format: str, *args) -> None:  # keep the terminal for the platform's logs
        pass


def _not_modified_since(header: str | None, mtime: int) -> bool:
    if not header:
        return False
    try:
        return int(parsedate_to_datetime(header).timestamp()) >= mtime
    except (TypeError, ValueError):
        return False


def serve(port: int, host: str = "127.0.0.1", root: Path = SITE_ROOT) -> ThreadingHTTPServer:
    """Start serving ``root`` in a daemon thread; ``server.shutdown()`` stops it."""
    server = ThreadingHTTPServer((host, port), partial(DemoSiteHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, name="demo-site", daemon=True).start()
    return server


def demo_source_urls(base_url: str) -> list[tuple[str, str, str]]:
    return [(kind, base_url + path, role) for kind, path, role in DEMO_SOURCES]
