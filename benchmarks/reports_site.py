"""Site report benchmark: the on-page audit and the internal-link suggestions on a
synthetic own site of 10,000 pages.

A temporary warehouse gets one day of a generated site: documents with ~450-word texts
built from 400 topics, ten ranked keywords each, on-page rows (titles of varied
length, some without description or H1, images without alt, 20 navigation links and
a few in-content links per page, some to URLs that answer 404 or redirect), the fetch
outcomes (``pages``, ``failures``) and a cached 384-dimension vector per document in
``document_embeddings`` (clustered by topic, as real page embeddings are; the
benchmark times the builders, not the model). Each phase then runs in a fresh Python
process, so its peak RSS is its own:

* ``audit``: ``load_site`` + ``build_onpage_audit`` (both reports, charts included);
* ``links``: ``load_corpus(with_text=True)`` + ``document_vectors`` (all cached: no
  model call) + ``build_link_suggestions`` (charts included).

    .venv/bin/python benchmarks/reports_site.py                # 10,000 pages
    .venv/bin/python benchmarks/reports_site.py --pages 2000   # quicker

Prints one JSON line per phase and a summary: wall-clock seconds (``*_s``) and CPU
seconds of the process (``*_cpu_s``; on a busy machine the wall clock grows, the CPU
time much less), and the phase's peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TENANT, DAY = "bench", "2026-11-20"
HOST = "https://www.bench.example"
# fmt: off
NOUNS = ["tomato", "pepper", "squash", "bean", "pea", "carrot", "onion", "garlic", "potato",
         "lettuce", "spinach", "kale", "cabbage", "apple", "pear", "plum", "cherry", "rose",
         "lavender", "mint", "basil", "thyme", "compost", "mulch", "hedge", "lawn", "pond",
         "greenhouse", "trellis", "orchard", "seedling", "bulb", "fern", "moss", "clover",
         "rhubarb", "leek", "beet", "melon", "strawberry"]
MODIFIERS = ["organic", "winter", "summer", "dwarf", "climbing", "heirloom", "container",
             "raised", "shade", "drought", "early", "late", "wild", "giant", "frost",
             "indoor", "hardy", "perennial", "pruning", "feeding"]
FILLER = ["soil", "water", "sun", "light", "root", "leaf", "stem", "flower", "fruit", "seed", "bed", "row", "pot", "season", "week", "morning", "evening", "garden", "gardener", "plant", "harvest", "spring", "autumn", "frost", "rain", "wind", "warmth", "shelter", "space", "depth", "layer", "spade", "fork", "hose", "tap", "barrow", "shed", "path", "border", "fence", "wall", "corner", "slope", "drainage", "nutrient", "nitrogen", "potash", "lime", "clay", "sand", "loam", "pest", "slug", "aphid", "beetle", "bird", "bee", "butterfly", "worm", "fungus", "mildew", "blight", "rot"]
TEMPLATES = [
    "the {s} needs more {a} in the {b} than most gardeners expect, so check the {c} often.",
    "in a wet {a}, keep the {s} away from the {b} and give it a layer of {c}.",
    "when the {a} turns, the {s} is ready for a little {b} and some {c} at its base.",
    "a {s} grown near the {a} will suffer if the {b} is poor; add {c} before planting.",
    "most problems with the {s} come from {a}, rarely from the {b} or the {c}.",
]
# fmt: on


def generate(root: Path, pages: int, seed: int = 11) -> dict:
    from siex.warehouse import Warehouse

    rng = random.Random(seed)
    vec_rng = np.random.default_rng(seed)
    topics = [f"{m} {n}" for m in MODIFIERS for n in NOUNS]
    rng.shuffle(topics)
    topics = topics[:400]
    centres = vec_rng.normal(size=(len(topics), 384)).astype(np.float32)
    store = Warehouse(root / "warehouse")
    fetched = datetime.fromisoformat(f"{DAY}T12:00:00+00:00")
    nav = [(f"{HOST}/section/{n}", n.title()) for n in NOUNS[:20]]
    by_topic: dict[int, list[int]] = {}
    assignment = [rng.randrange(len(topics)) for _ in range(pages)]
    for i, t in enumerate(assignment):
        by_topic.setdefault(t, []).append(i)

    documents, keywords, onpage, fetched_rows, embeddings = [], [], [], [], []
    for i, t in enumerate(assignment):
        url = f"{HOST}/guide/{topics[t].replace(' ', '-')}-{i}"
        doc_id = hashlib.sha256(f"{TENANT}\n{url}".encode()).hexdigest()[:24]
        others = [rng.randrange(len(topics)) for _ in range(2)]
        sentences = []
        for _ in range(36):  # about 450 words, stop words and punctuation as in prose
            a, b, c, d = rng.sample(FILLER, 4)
            subject = topics[rng.choice([t, *others])] if rng.random() < 0.3 else a
            sentence = rng.choice(TEMPLATES).format(s=subject, a=b, b=c, c=d)
            sentences.append(sentence[0].upper() + sentence[1:])
        text = " ".join(sentences)
        title = f"{topics[t].title()}: how to grow and care for it" + (
            " in every season of the year, from seed to harvest" if i % 7 == 0 else ""
        )
        content_hash = hashlib.sha256(text.encode()).hexdigest()
        documents.append(
            {
                "doc_id": doc_id,
                "url": url,
                "source_id": "own",
                "title": title,
                "description": "",
                "lang": "en",
                "published_at": None,
                "fetched_at": fetched,
                "content_hash": content_hash,
                "word_count": len(text.split()) if i % 50 else 120,
                "text": text,
            }
        )
        kw = [topics[t], *(topics[o] for o in others), *rng.sample(FILLER, 7)]
        keywords += [
            {
                "doc_id": doc_id,
                "url": url,
                "content_hash": content_hash,
                "rank": r + 1,
                "keyword": k,
                "score": round(1 - r / 12, 3),
                "lang": "en",
                "engine": "bench",
            }
            for r, k in enumerate(kw)
        ]
        peers = rng.sample(by_topic[t], min(2 if i % 3 == 0 else 0, len(by_topic[t])))
        links = [{"url": u, "anchor": a, "internal": True, "nofollow": False} for u, a in nav]
        links += [
            {
                "url": f"{HOST}/guide/{topics[t].replace(' ', '-')}-{p}",
                "anchor": topics[t],
                "internal": True,
                "nofollow": False,
            }
            for p in peers
            if p != i
        ]
        if i % 40 == 0:
            links.append(
                {
                    "url": f"{HOST}/gone-{i % 400}",
                    "anchor": "old page",
                    "internal": True,
                    "nofollow": False,
                }
            )
        description = (
            ""
            if i % 13 == 0
            else f"Everything about {topics[t]}: " + " ".join(rng.sample(FILLER, 14))
        )
        onpage.append(
            {
                "doc_id": doc_id,
                "url": url,
                "source_id": "own",
                "fetched_at": fetched,
                "title": title,
                "title_length": len(title),
                "meta_description": description,
                "meta_description_length": len(description),
                "canonical": url,
                "robots": "",
                "noindex": i % 97 == 0,
                "nofollow": False,
                "hreflang": "{}",
                "headings": json.dumps([[1, topics[t]]]),
                "h1_count": 0 if i % 31 == 0 else 1,
                "word_count": len(text.split()) + 80,
                "links": json.dumps(links),
                "internal_links": len(links),
                "external_links": 0,
                "images": 3,
                "images_without_alt": 1 if i % 9 == 0 else 0,
                "images_decorative": 1,
                "json_ld_types": '["Article"]',
                "json_ld_errors": 0,
                "open_graph": "{}",
                "twitter_card": None,
                "lang": "en",
                "viewport": True,
                "charset": "utf-8",
            }
        )
        fetched_rows.append(
            {
                "url": url,
                "source_id": "own",
                "final_url": url,
                "http_status": 200,
                "fetched_at": fetched,
                "html": "",
            }
        )
        v = centres[t] + 0.6 * vec_rng.normal(size=384).astype(np.float32)
        embeddings.append(
            {
                "doc_id": doc_id,
                "content_hash": content_hash,
                "model": "all-MiniLM-L6-v2",
                "vector": (v / np.linalg.norm(v)).tolist(),
            }
        )
    failures = [
        {
            "url": f"{HOST}/gone-{k}",
            "source_id": "own",
            "stage": "fetch",
            "reason": "http_404",
            "detail": "",
            "at": fetched,
            "run_id": "bench",
        }
        for k in range(0, 400, 40)
    ]
    store.write("documents", TENANT, DAY, documents)
    store.write("keywords", TENANT, DAY, keywords)
    store.write("onpage", TENANT, DAY, onpage)
    store.write("pages", TENANT, DAY, fetched_rows, part="run-bench")
    store.write("failures", TENANT, DAY, failures, part="fetch-bench")
    store.write("document_embeddings", TENANT, DAY, embeddings)
    return {"pages": pages, "keywords": len(keywords), "topics": len(topics)}


def run_phase(phase: str, root: Path) -> dict:
    from siex.intelligence.audit import build_onpage_audit, load_site
    from siex.intelligence.corpus import load_corpus
    from siex.intelligence.embeddings import Embedder
    from siex.intelligence.links import build_link_suggestions
    from siex.intelligence.vectors import document_vectors
    from siex.warehouse import Warehouse

    store = Warehouse(root / "warehouse")
    times: dict[str, float] = {}

    def timed(name, fn):
        start, cpu = time.perf_counter(), time.process_time()
        value = fn()
        times[name] = round(time.perf_counter() - start, 2)
        times[name[:-2] + "_cpu_s"] = round(time.process_time() - cpu, 2)
        return value

    out: dict = {"phase": phase}
    if phase == "audit":
        site = timed("load_site_s", lambda: load_site(store, TENANT, DAY))
        issues, scores = timed("build_onpage_audit_s", lambda: build_onpage_audit(site))
        out.update(
            issues=len(issues.rows),
            scored_pages=len(scores.rows),
            site_score=issues.summary["score"],
        )
    else:
        corpus = timed("load_corpus_s", lambda: load_corpus(store, TENANT, DAY, with_text=True))
        vectors = timed(
            "document_vectors_cached_s",
            lambda: document_vectors(store, Embedder(), TENANT, DAY, corpus.own),
        )
        report = timed("build_link_suggestions_s", lambda: build_link_suggestions(corpus, vectors))
        out.update(
            vectors=len(vectors),
            suggestions=len(report.rows),
            source_pages=report.summary["source_pages"],
        )
    out.update(times)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--phase", choices=["audit", "links"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.root)))
        return
    root = Path(tempfile.mkdtemp(prefix="siex-bench-site-"))
    try:
        start = time.perf_counter()
        made = generate(root, args.pages)
        print(
            f"generated {made} in {time.perf_counter() - start:.1f} s under {root}", file=sys.stderr
        )
        results = []
        for phase in ("audit", "links"):
            proc = subprocess.run(
                [sys.executable, __file__, "--phase", phase, "--root", str(root)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
            )
            line = proc.stdout.strip().splitlines()[-1]
            print(line)
            results.append(json.loads(line))
        print(
            f"\n{args.pages:,} own pages, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}"
        )
        for r in results:
            figures = ", ".join(f"{k} {v}" for k, v in r.items() if k != "phase")
            print(f"- {r['phase']}: {figures}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
