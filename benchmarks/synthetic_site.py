"""A generated website on loopback for ingest benchmarks: N article pages, a sitemap index.

Every page is built on request from its number (deterministic, nothing on disk): a
title, a meta description, an H1 and H2s, 300–900 words of text on one of forty
topics, links to other pages of the site and images (some without alt text). The
sitemap index at ``/sitemap.xml`` lists child sitemaps of at most 5,000 URLs each,
with ``lastmod``; ``/sitemap-flat.xml?urls=N`` is one file of N URLs (at most 50,000).
Like a production web server it sends each response without Nagle's delay: Python's
``http.server`` writes the headers and the body in separate sends, and on a
keep-alive connection Nagle's algorithm held the body until the client's delayed ACK,
about 40 ms per request whatever the crawler.

    python benchmarks/synthetic_site.py --pages 10000 --port 8800   # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PER_SITEMAP = 5000
MAX_FLAT_URLS = 50_000
TOPICS = {
    "raised bed gardening": "raised bed soil mix compost topsoil drainage timber frame vegetables",
    "drip irrigation": "drip line emitters water pressure timer mulch tomatoes hose filter",
    "composting at home": "compost heap brown material green material nitrogen carbon worms humus",
    "pruning fruit trees": "apple tree pear tree winter pruning secateurs canker fruiting spurs",
    "seed starting indoors": "seed trays grow lights germination seedlings potting compost heat mat",
    "organic pest control": "aphids ladybirds neem oil companion planting slugs insect mesh",
    "cover crops": "winter rye clover green manure soil structure nitrogen fixing",
    "container gardening": "balcony pots drainage holes potting mix herbs dwarf varieties",
    "sourdough baking": "starter culture hydration levain crumb crust banneton fermentation",
    "espresso brewing": "grind size extraction crema portafilter tamping dose ratio",
    "home coffee roasting": "green beans first crack roast profile chaff cooling tray",
    "fermented vegetables": "sauerkraut kimchi brine lactic acid fermentation crock",
    "cast iron cooking": "seasoning skillet heat retention searing enamel rust",
    "meal prep": "batch cooking containers freezer portions weekly plan macros",
    "trail running": "running shoes elevation gain cadence hydration vest ultramarathon",
    "strength training": "squat deadlift progressive overload sets reps recovery protein",
    "cycling commuting": "commuter bike panniers bike lane lights puncture repair",
    "yoga for beginners": "downward dog breathing flexibility mat sun salutation",
    "home solar panels": "solar panels inverter battery storage kilowatt hours roof orientation",
    "heat pumps": "air source heat pump efficiency radiators insulation COP",
    "electric cars": "charging station battery range kilowatt charger regenerative braking",
    "smart home automation": "smart thermostat sensors home assistant zigbee routines",
    "rainwater harvesting": "water butt gutter downpipe filter overflow tank",
    "beekeeping": "honey bees hive frames queen bee varroa mites smoker",
    "backyard chickens": "chicken coop laying hens feed grit predators nesting box",
    "houseplant care": "monstera light levels watering schedule humidity repotting",
    "lawn care": "lawn mowing height scarifying overseeding moss fertiliser",
    "wildflower meadows": "native wildflowers pollinators seed mix mowing regime",
    "birdwatching": "binoculars bird feeders migration field guide nesting season",
    "camping gear": "tent sleeping bag camping stove rain fly ground sheet",
    "photography basics": "aperture shutter speed ISO exposure composition lens",
    "budget travel": "rail pass hostels travel insurance packing list itinerary",
    "personal finance": "emergency fund index funds budget savings rate compound interest",
    "remote work": "home office video calls ergonomics time zones async communication",
    "python programming": "python functions virtual environment type hints unit tests",
    "web performance": "page speed caching images lazy loading core web vitals",
    "technical seo": "crawl budget canonical tags sitemap robots txt structured data",
    "content marketing": "editorial calendar search intent keyword research backlinks",
    "email newsletters": "subscriber list open rate segmentation double opt in",
    "podcast production": "microphone audio editing episode show notes hosting",
}
FILLER = (
    "Many readers ask about {a} and {b}. The short answer is that {a} depends on {c}. "
    "In practice, {b} matters more than most guides admit, and {c} changes the result. "
    "Start with {a}; check {b} every week; adjust {c} when the season turns. "
    "Experienced people compare {a} with {d} before they decide. "
    "A common mistake is to ignore {d} until {b} becomes a problem. "
)


def page_html(n: int, pages: int) -> str:
    rng = random.Random(n)
    topic = list(TOPICS)[n % len(TOPICS)]
    terms = TOPICS[topic].split()
    phrases = [" ".join(terms[i : i + 2]) for i in range(0, len(terms) - 1, 2)] + [topic]
    title = f"{topic.title()}: guide {n} — {rng.choice(phrases)}"
    paragraphs = []
    for _ in range(rng.randint(6, 18)):
        a, b, c, d = (rng.choice(phrases) for _ in range(4))
        paragraphs.append(f"<p>{FILLER.format(a=a, b=b, c=c, d=d)}</p>")
    links = "".join(
        f'<li><a href="/articles/{rng.randrange(pages)}.html">{rng.choice(phrases)}</a></li>'
        for _ in range(5)
    )
    images = "".join(
        f'<img src="/img/{n}-{i}.png"' + (f' alt="{rng.choice(phrases)}">' if i % 2 else ">")
        for i in range(rng.randint(0, 3))
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="description" content="All about {topic}: {", ".join(phrases[:3])}.">'
        f'<link rel="canonical" href="/articles/{n}.html"></head><body><header><nav>'
        f'<a href="/">Home</a></nav></header><main><article><h1>{title}</h1>'
        f"<h2>Why {topic} matters</h2>{''.join(paragraphs[:3])}<h2>How to start</h2>"
        f"{images}{''.join(paragraphs[3:])}</article><aside><ul>{links}</ul></aside></main>"
        "<footer>© Synthetic Gardens</footer></body></html>"
    )


def sitemap_index(host: str, pages: int) -> str:
    children = "".join(
        f"<sitemap><loc>http://{host}/sitemap-{k}.xml</loc></sitemap>"
        for k in range((pages + PER_SITEMAP - 1) // PER_SITEMAP)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>'
    )


def child_sitemap(host: str, k: int, pages: int) -> str:
    return urlset(host, range(k * PER_SITEMAP, min(pages, (k + 1) * PER_SITEMAP)))


def urlset(host: str, numbers: range) -> str:
    urls = "".join(
        f"<url><loc>http://{host}/articles/{n}.html</loc><lastmod>2026-11-{1 + n % 28:02d}</lastmod></url>"
        for n in numbers
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )


def flat_sitemap(host: str, urls: int) -> str:
    """One sitemap file of ``urls`` article URLs (the protocol allows 50,000 in a file),
    whatever the site's size: for timing sitemap parsers on a large single file."""
    return urlset(host, range(urls))


def make_handler(pages: int):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms stall per keep-alive response

        def do_GET(self) -> None:
            host = self.headers.get("Host", "127.0.0.1")
            path, _, query = self.path.partition("?")
            body, ctype = None, "text/html; charset=utf-8"
            if path == "/sitemap.xml":
                body, ctype = sitemap_index(host, pages), "application/xml"
            elif path == "/sitemap-flat.xml":
                urls = int(query.partition("urls=")[2] or pages)
                body, ctype = flat_sitemap(host, min(urls, MAX_FLAT_URLS)), "application/xml"
            elif path.startswith("/sitemap-") and path.endswith(".xml"):
                body, ctype = child_sitemap(host, int(path[9:-4]), pages), "application/xml"
            elif path.startswith("/articles/") and path.endswith(".html"):
                n = path[10:-5]
                if n.isdigit() and int(n) < pages:
                    body = page_html(int(n), pages)
            elif path == "/robots.txt":
                body, ctype = (
                    f"User-agent: *\nAllow: /\nSitemap: http://{host}/sitemap.xml\n",
                    "text/plain",
                )
            data = (body or "<html><body>not found</body></html>").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args) -> None:
            pass

    return Handler


def serve(pages: int, port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(pages))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = serve(args.pages, args.port)
    print(server.server_address[1], flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
