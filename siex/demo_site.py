"""The demo tenant's sample sites, served by a small static server on loopback.

XML files (feeds, sitemaps) carry ``{base}`` where the server's own URL belongs; it
is filled in at serving time, with Last-Modified and ETag so conditional GETs work.
Their dates were written on ``AUTHORED`` and are served moved by whole days to the
calendar, spacing kept, so the newest entry is always today's and the demo's
trends (this week against the last) have something to show whenever it runs.
"""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import UTC, date, datetime
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


AUTHORED = date(2026, 11, 26)  # the newest date in the demo's feeds and sitemaps
_ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")  # also inside timestamps
_RFC822_DAY = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2} [A-Z][a-z]{2} \d{4})\b")


def moved_dates(xml: str, today: date) -> str:
    """``xml`` with its ISO 8601 and RFC 822 dates moved by ``today - AUTHORED``."""
    shift = today - AUTHORED

    def iso(match: re.Match) -> str:
        return (date(*map(int, match.groups())) + shift).isoformat()

    def rfc822(match: re.Match) -> str:
        moved = datetime.strptime(match.group(1), "%d %b %Y") + shift
        return moved.strftime("%a, %d %b %Y")

    return _RFC822_DAY.sub(rfc822, _ISO_DAY.sub(iso, xml))


class DemoSiteHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.suffix != ".xml" or not path.is_file():
            return super().do_GET()
        base = f"http://{self.headers.get('Host') or '127.0.0.1'}"
        today = datetime.now(UTC).date()
        body = moved_dates(path.read_text(encoding="utf-8").replace("{base}", base), today)
        body = body.encode()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        # Moved dates change the body each day: Last-Modified moves with them.
        midnight = datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp()
        mtime = int(max(path.stat().st_mtime, midnight))
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
