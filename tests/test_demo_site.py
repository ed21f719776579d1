"""The demo sites move their feeds' and sitemaps' dates with the calendar, so the demo's
reports (trends: this week against the last) show the same picture whenever it runs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import feedparser
import httpx

from siex.demo_site import AUTHORED, SITE_ROOT, moved_dates


def test_dates_move_by_whole_days_with_their_spacing_and_weekdays():
    xml = (
        "<published>2026-11-25T09:00:00Z</published><lastmod>2026-11-12</lastmod>"
        "<pubDate>Thu, 26 Nov 2026 08:00:00 +0000</pubDate>"
    )
    assert moved_dates(xml, AUTHORED) == xml
    moved = moved_dates(xml, date(2027, 3, 1))  # 95 days on, across a year and February
    assert moved == (
        "<published>2027-02-28T09:00:00Z</published><lastmod>2027-02-15</lastmod>"
        "<pubDate>Mon, 01 Mar 2027 08:00:00 +0000</pubDate>"
    )


def test_served_feeds_end_today_and_answer_conditional_gets(demo_sites):
    today = datetime.now(UTC).date()
    with httpx.Client(base_url=demo_sites) as http:
        for path in ("/own/feed.xml", "/competitor/atom.xml"):
            answer = http.get(path)
            assert answer.status_code == 200
            entries = feedparser.parse(answer.content).entries
            days = sorted(
                date(*(e.get("published_parsed") or e.get("updated_parsed"))[:3]) for e in entries
            )
            written = feedparser.parse(
                (SITE_ROOT / path.lstrip("/")).read_text().replace("{base}", demo_sites)
            ).entries
            authored = sorted(
                date(*(e.get("published_parsed") or e.get("updated_parsed"))[:3]) for e in written
            )
            assert [d - days[-1] for d in days] == [d - authored[-1] for d in authored]
            assert today - timedelta(days=1) <= days[-1] <= today, (path, days[-1])
            again = http.get(path, headers={"If-None-Match": answer.headers["ETag"]})
            assert again.status_code == 304
            stale = http.get(path, headers={"If-Modified-Since": "Mon, 02 Nov 2026 00:00:00 GMT"})
            assert stale.status_code == 200
        served = re.findall(r"<lastmod>([\d-]+)</lastmod>", http.get("/own/sitemap.xml").text)
    written = re.findall(
        r"<lastmod>([\d-]+)</lastmod>", (SITE_ROOT / "own/sitemap.xml").read_text()
    )
    shift = today - AUTHORED
    assert served and served == [(date.fromisoformat(d) + shift).isoformat() for d in written]
