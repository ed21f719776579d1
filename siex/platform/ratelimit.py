"""Rate limits on a shared store, so every API worker process counts together.

Built on the ``limits`` library (moving window): ``memory://`` for one embedded
process, ``redis://…`` in production.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int  # 0 when allowed


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://") -> None:
        """One per app: ``memory://`` counts in this process only; a Redis URI shares
        the counts between every worker using it."""
        self.storage = storage_from_string(storage_uri)
        self.strategy = MovingWindowRateLimiter(self.storage)

    def hit(self, key: str, limit: str | int, cost: int = 1) -> Decision:
        """Count one request on ``key`` against ``limit`` ("10/15 minutes", or an int
        per minute) and say whether it may go on."""
        item = RateLimitItemPerMinute(limit) if isinstance(limit, int) else parse(limit)
        allowed = self.strategy.hit(item, key, cost=cost)
        stats = self.strategy.get_window_stats(item, key)
        retry = 0 if allowed else max(1, math.ceil(stats.reset_time - time.time()))
        return Decision(allowed, item.amount, max(stats.remaining, 0), retry)

    def peek(self, key: str, limit: str) -> bool:
        """True while ``key`` is under ``limit`` (counts nothing)."""
        item = parse(limit)
        return self.strategy.test(item, key)

    def clear(self, key: str, limit: str) -> None:
        self.strategy.clear(parse(limit), key)
