"""One measured step of the ingest benchmark's anchors, in a fresh process of its own.

Run by `benchmarks/ingest.py`, never imported by the product. Two commands:

    <anchor venv>/bin/python benchmarks/anchor_probe.py crawl --urls urls.txt --out crawl.jl --concurrency 4
    <python> benchmarks/anchor_probe.py sitemap --engine siex|advertools URL

``crawl`` is advertools' ``crawl`` over a list of URLs (scrapy underneath, in its own
processes). ``sitemap`` reads one sitemap or sitemap index with SIE-X's streaming
parser (``siex.ingest.discover_sitemap``, with the project's venv) or with
``advertools.sitemap_to_df`` (with the anchor venv). The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit


def rss_mb() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def crawl(urls_file: str, out: str, concurrency: int) -> dict:
    import advertools as adv

    urls = Path(urls_file).read_text().split()
    # advertools' default allowed_domains keeps the port ("127.0.0.1:8800"), which
    # scrapy's offsite filter never matches: every page would be dropped unfetched.
    hosts = sorted({urlsplit(u).hostname for u in urls})
    started = time.perf_counter()
    adv.crawl(
        urls,
        out,
        follow_links=False,
        allowed_domains=hosts,
        custom_settings={
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": True,
            "LOG_LEVEL": "WARNING",
        },
    )
    seconds = time.perf_counter() - started
    statuses: dict[str, int] = {}
    with open(out) as fh:
        for line in fh:
            status = str(json.loads(line).get("status"))
            statuses[status] = statuses.get(status, 0) + 1
    return {"urls": len(urls), "rows": sum(statuses.values()), "statuses": statuses,
            "seconds": round(seconds, 2)}  # fmt: skip


def sitemap(engine: str, url: str) -> dict:
    if engine == "advertools":
        import advertools as adv

        before = rss_mb()
        started = time.perf_counter()
        frame = adv.sitemap_to_df(url)
        seconds = time.perf_counter() - started
        count = int(frame["loc"].notna().sum())
    else:
        from siex import ingest
        from siex.web.fetch import Fetcher

        # The per-host interval is lifted, as for advertools, which has none: parsing is timed.
        with Fetcher(user_agent="SIE-X benchmark", min_interval_s=0) as fetcher:
            before = rss_mb()
            started = time.perf_counter()
            found = ingest.discover_sitemap(url, fetcher)
            seconds = time.perf_counter() - started
        count = len(found.urls or [])
    return {"engine": engine, "urls": count, "seconds": round(seconds, 3),
            "rss_before_mb": round(before, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_crawl = sub.add_parser("crawl")
    p_crawl.add_argument("--urls", required=True, help="a file of URLs, one a line")
    p_crawl.add_argument("--out", required=True, help="advertools' output, .jl")
    p_crawl.add_argument("--concurrency", type=int, required=True, help="requests per host")
    p_sitemap = sub.add_parser("sitemap")
    p_sitemap.add_argument("--engine", choices=["siex", "advertools"], required=True)
    p_sitemap.add_argument("url")
    args = parser.parse_args()
    if args.command == "crawl":
        result = crawl(args.urls, args.out, args.concurrency)
    else:
        result = sitemap(args.engine, args.url)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
