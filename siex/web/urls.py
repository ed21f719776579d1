"""URL normalization: one page, one URL, whatever tracking parameters a feed adds.

courlan (trafilatura's URL library) lowercases scheme and host, drops default ports,
removes tracking parameters (utm_*, fbclid, gclid, mc_cid, …) and sorts the rest;
the fragment goes too, since it never names another page.
"""

from __future__ import annotations

from courlan import normalize_url as _courlan_normalize


def normalize_url(url: str) -> str:
    """The canonical form of ``url``; the URL unchanged (defragmented) when it cannot
    be parsed, so a strange URL is still fetched rather than lost."""
    url = url.strip().split("#", 1)[0]  # no parsing: malformed URLs keep their shape
    try:
        return _courlan_normalize(url).split("#", 1)[0] or url
    except Exception:  # courlan raises ValueError and others on malformed input
        return url
