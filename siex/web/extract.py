"""Clean text from HTML with trafilatura, isolated in worker processes.

trafilatura (lxml underneath) is not safe across threads and can abort the whole
process on hostile input; a process pool turns such a crash into one failed page.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

MIN_WORDS = 20  # below this a page is navigation or an error page, not content
# Kana and CJK ideographs: scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class ExtractedPage:
    url: str
    title: str = ""
    text: str = ""
    description: str = ""
    published: str = ""  # ISO date as the page states it, "" when unknown
    html_lang: str = ""
    error: str | None = None
    detail: str = ""
    onpage: dict | None = None  # siex.web.onpage.onpage_row: also for pages without text


def count_words(text: str) -> int:
    """Whitespace-separated words, counting each Chinese or Japanese character as one."""
    return len(_UNSPACED.findall(text)) + len(_UNSPACED.sub(" ", text).split())


def html_to_text(url: str, html: str) -> ExtractedPage:
    """Main text, title, metadata and on-page signals of one page (in a worker process)."""
    from dataclasses import replace

    from siex.web.onpage import onpage_row, read_onpage

    onpage = read_onpage(html, url)
    page = replace(_main_text(url, html, onpage.lang), onpage=onpage_row(onpage))
    if page.error == "no_text":
        from siex.web.onpage import javascript_only

        shell = javascript_only(html, MIN_WORDS)
        if shell:  # its text exists only once a browser runs the scripts
            page = replace(page, error="javascript_only", detail=f"{page.detail}; {shell}")
    return page


def _main_text(url: str, html: str, html_lang: str) -> ExtractedPage:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, favor_recall=True)
    except Exception as exc:  # trafilatura raises many types on broken markup
        return ExtractedPage(
            url=url, error="extraction_failed", detail=f"{type(exc).__name__}: {exc}"[:300]
        )
    if doc is None:
        return ExtractedPage(url=url, error="no_text", detail="no main content found")
    text = (doc.text or "").strip()
    words = count_words(text)
    if words < MIN_WORDS:
        return ExtractedPage(
            url=url,
            title=doc.title or "",
            error="no_text",
            detail=f"{words} words of main text (minimum {MIN_WORDS})",
        )
    return ExtractedPage(
        url=url,
        title=(doc.title or "").strip(),
        text=text,
        description=(doc.description or "").strip(),
        published=doc.date or "",
        html_lang=html_lang,
    )


def _html_to_text_args(args: tuple[str, str]) -> ExtractedPage:
    return html_to_text(*args)


def extract_pages(pages: Iterable[tuple[str, str]], workers: int = 2) -> Iterator[ExtractedPage]:
    """Extract ``(url, html)`` pairs in worker processes, yielding results in order.

    If a worker dies, the pages not yet done are retried one per fresh process so the
    page that kills its worker is the only one recorded as ``extractor_crashed``.
    """
    items = list(pages)
    if not items:
        return
    context = multiprocessing.get_context("forkserver")
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for result in pool.map(_html_to_text_args, items, chunksize=4):
                done += 1
                yield result
        return
    except BrokenProcessPool:
        pass
    for url, html in items[done:]:
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                yield pool.submit(html_to_text, url, html).result()
        except BrokenProcessPool:
            yield ExtractedPage(url=url, error="extractor_crashed", detail="worker process died")
