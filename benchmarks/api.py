"""API benchmarks: API key authentication stays O(1) in the number of stored keys, and
requests per second of an authenticated read endpoint under uvicorn.

1. Key lookup. 100,000 API keys are stored (rows inserted in bulk with SQLAlchemy into
   the SQLite platform database of a temporary SIEX_HOME), then ``authenticate_key`` is
   timed in-process over random lookups (valid keys, unknown key ids, known ids with a
   wrong secret) with 1,000 keys stored and again with 100,000: the ratio of the two
   shows whether the cost grows with the table. The query plan of the statement
   ``authenticate_key`` runs is printed (``EXPLAIN QUERY PLAN``).
2. HTTP. ``uvicorn --factory siex_api.main:app_from_env`` runs as a subprocess (one
   worker with in-memory rate limits; one and two workers counting rate limits in
   Redis) and an asyncio httpx client with bounded concurrency sends requests over
   loopback, for a fixed time or a fixed number of requests, to the unauthenticated
   ``GET /v1/health`` (the anchor) and to ``GET /v1/tenants/me`` with API keys of an
   enterprise tenant (3,000 requests per minute per key, the load spread over enough
   keys that no request is rate limited).

The results go between ``<!-- api:begin -->`` and ``<!-- api:end -->`` in
docs/benchmarks.md.

    .venv/bin/python benchmarks/api.py                       # both parts, about 2 minutes
    .venv/bin/python benchmarks/api.py --skip-http           # key lookups only
    .venv/bin/python benchmarks/api.py --duration 5 --max-requests 5000   # quicker

The 2-worker configurations need Redis (``--redis``, default redis://127.0.0.1:6379/0;
only keys of this run's API keys are written, nothing is flushed). Run it on an otherwise
idle machine: every figure is a wall-clock measurement, and the client shares the
machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from doc_section import cpu_model, write_section

REPO = Path(__file__).resolve().parent.parent
UVICORN = REPO / ".venv" / "bin" / "uvicorn"
MARK_BEGIN, MARK_END = "<!-- api:begin -->", "<!-- api:end -->"
PEPPER = "benchmark-pepper-not-a-secret-0123456789"
TENANT = "bench"
HEALTH, AUTHENTICATED = "/v1/health", "/v1/tenants/me"


# -- helpers ---------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0-100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def settings_for(home: Path, rate_limit_storage: str = "memory://"):
    from siex.config import Settings

    return Settings(
        home=home,
        database_url=None,
        secret_key=PEPPER,
        rate_limit_storage=rate_limit_storage,
    )


def bench_env(home: Path, rate_limit_storage: str) -> dict[str, str]:
    """The environment of the server: this run's SIEX_HOME and nothing else of SIEX_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIEX_")}
    env.update(
        SIEX_HOME=str(home),
        SIEX_SECRET_KEY=PEPPER,
        SIEX_RATE_LIMIT_STORAGE=rate_limit_storage,
    )
    return env


# -- 1. API key lookups ----------------------------------------------------------------


def store_keys(url: str, count: int, plaintexts: list[str]) -> float:
    """Insert ``count`` keys of the tenant in one bulk INSERT; returns seconds taken.
    ``last_used_at`` is now, so that lookups do not write it (once a minute)."""
    from sqlalchemy import insert

    from siex.platform.db import get_engine, session_scope
    from siex.platform.keys import generate_key
    from siex.platform.models import ApiKey, new_id, utcnow

    started = time.perf_counter()
    now = utcnow()
    rows = []
    for _ in range(count):
        key = generate_key(PEPPER)
        plaintexts.append(key.plaintext)
        rows.append(
            {
                "id": new_id(),
                "tenant_id": TENANT,
                "key_id": key.key_id,
                "secret_hash": key.secret_hash,
                "prefix": key.prefix,
                "name": "",
                "environment": "live",
                "scopes": "read",
                "created_at": now,
                "last_used_at": now,
            }
        )
    with session_scope(url) as session:
        for start in range(0, len(rows), 20_000):
            session.execute(insert(ApiKey), rows[start : start + 20_000])
    elapsed = time.perf_counter() - started
    raw = get_engine(url).raw_connection()  # outside a transaction: rows into the db file
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    return elapsed


def lookup_plan(rng: random.Random, plaintexts: list[str], n: int) -> list[tuple[str, str]]:
    """``n`` lookups: 90 % valid keys at random, 5 % unknown key ids, 5 % known ids with
    a wrong secret. Each is (kind, plaintext)."""
    from siex.platform.keys import generate_key

    plan = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.90:
            plan.append(("valid", rng.choice(plaintexts)))
        elif roll < 0.95:
            plan.append(("unknown id", generate_key(PEPPER).plaintext))
        else:
            key_id = rng.choice(plaintexts).split("_")[2]
            plan.append(("wrong secret", f"sk_live_{key_id}_{'x' * 43}"))
    return plan


def time_lookups(url: str, plan: list[tuple[str, str]], times: dict[str, list[float]]) -> None:
    """Microseconds per ``authenticate_key`` call, added to ``times`` by kind. Each lookup
    has its own read-only session, as a GET request has (its BEGIN is part of the timed
    call); rolled back."""
    from sqlalchemy.orm import sessionmaker

    from siex.platform.db import get_engine
    from siex.platform.service import authenticate_key

    make_session = sessionmaker(get_engine(url).execution_options(siex_read_only=True))
    for kind, plaintext in plan:
        with make_session() as session:
            started = time.perf_counter_ns()
            found = authenticate_key(session, plaintext, PEPPER)
            elapsed = (time.perf_counter_ns() - started) / 1000
            session.rollback()
        if (found is not None) != (kind == "valid"):
            raise AssertionError(f"{kind} lookup answered {found!r}")
        times.setdefault(kind, []).append(elapsed)


def statements_and_plan(url: str, plaintext: str) -> tuple[list[str], list[str]]:
    """The SQL statements one lookup runs, and SQLite's plan for its SELECT."""
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker

    from siex.platform.db import get_engine
    from siex.platform.service import authenticate_key

    engine = get_engine(url)
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((" ".join(statement.split()), parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with sessionmaker(engine)() as session:
            authenticate_key(session, plaintext, PEPPER)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    statement, parameters = next((s, p) for s, p in seen if s.upper().startswith("SELECT"))
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
        conn.rollback()
    return [s for s, _ in seen], [row[-1] for row in plan]


def bench_keys(args) -> dict:
    """Two databases, ``--small-keys`` and ``--keys`` keys; their lookups are timed in
    alternating blocks, so that whatever else the machine does weighs on both alike."""
    from siex.platform.db import get_engine, session_scope
    from siex.platform.service import create_tenant_record

    work = Path(tempfile.mkdtemp(prefix="siex-bench-keys-"))
    try:
        rng = random.Random(args.seed)
        cases = []
        for count in (args.small_keys, args.keys):
            home = work / f"home-{count}"
            url = settings_for(home).platform_db_url
            get_engine(url)  # migrated
            with session_scope(url) as session:
                create_tenant_record(session, "Benchmark", TENANT)
            plaintexts: list[str] = []
            insert_s = store_keys(url, count, plaintexts)
            db_mb = (home / "platform.sqlite").stat().st_size / 1e6
            print(f"stored {count:,} keys in {insert_s:.1f} s", file=sys.stderr)
            cases.append({"keys": count, "url": url, "plaintexts": plaintexts,
                          "insert_s": insert_s, "db_mb": db_mb, "times": {}})  # fmt: skip
        for case in cases:  # warm-up, not counted
            time_lookups(case["url"], lookup_plan(rng, case["plaintexts"], 200), {})
        block = 100
        for _ in range(math.ceil(args.lookups / block)):
            for case in cases:
                plan = lookup_plan(rng, case["plaintexts"], block)
                time_lookups(case["url"], plan, case["times"])
        results = []
        for case in cases:
            every = sorted(t for kind in case["times"].values() for t in kind)
            by_kind = {
                kind: (len(ts), percentile(sorted(ts), 50), percentile(sorted(ts), 99))
                for kind, ts in sorted(case["times"].items())
            }
            results.append(
                {
                    **{k: case[k] for k in ("keys", "insert_s", "db_mb")},
                    "lookups": len(every),
                    "p50": percentile(every, 50),
                    "p99": percentile(every, 99),
                    "mean": sum(every) / len(every),
                    "by_kind": by_kind,
                }
            )
            print(f"{case['keys']:,} keys: p50 {results[-1]['p50']:.0f} µs", file=sys.stderr)
        statements, plan = statements_and_plan(cases[-1]["url"], cases[-1]["plaintexts"][0])
        return {"runs": results, "statements": statements, "plan": plan}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- 2. HTTP under uvicorn ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def seed_tenant(home: Path, n_keys: int) -> list[str]:
    """An enterprise tenant with ``n_keys`` read keys; returns their plaintexts."""
    from siex.platform.db import get_engine, session_scope
    from siex.platform.service import create_tenant_record, issue_api_key

    settings = settings_for(home)
    get_engine(settings.platform_db_url)
    keys = []
    with session_scope(settings.platform_db_url) as session:
        tenant = create_tenant_record(session, "Benchmark", TENANT)
        tenant.plan = "enterprise"
        for i in range(n_keys):
            plaintext, _ = issue_api_key(
                session, tenant, PEPPER, name=f"load {i}", scopes=("read",)
            )
            keys.append(plaintext)
    return keys


async def drive(
    base: str, path: str, keys: list[str] | None, concurrency: int, seconds: float, budget: int
):
    """Send requests from ``concurrency`` connections until ``seconds`` pass or ``budget``
    requests are sent; returns latencies (ms), statuses and wall time."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker(index: int) -> None:
            nonlocal sent
            while sent < budget and time.perf_counter() < deadline:
                sent += 1
                headers = {"Authorization": f"Bearer {keys[sent % len(keys)]}"} if keys else None
                t0 = time.perf_counter()
                try:
                    response = await client.get(path, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        wall = time.perf_counter() - started
    return sorted(latencies), statuses, wall


def measure(base: str, path: str, keys, concurrency: int, args, server_pid: int) -> dict:
    asyncio.run(drive(base, path, keys, concurrency, args.warmup, 10**9))  # not counted
    cpu_before, client_before = process_tree_cpu_s(server_pid), time.process_time()
    latencies, statuses, wall = asyncio.run(
        drive(base, path, keys, concurrency, args.duration, args.max_requests)
    )
    server_cpu = process_tree_cpu_s(server_pid) - cpu_before
    client_cpu = time.process_time() - client_before
    n = len(latencies)
    return {
        "path": path,
        "concurrency": concurrency,
        "requests": n,
        "wall_s": wall,
        "rps": n / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "non_2xx": sum(c for s, c in statuses.items() if not 200 <= s < 300),
        "statuses": statuses,
        "server_cpu_ms": 1000 * server_cpu / max(n, 1),
        "client_cpu_ms": 1000 * client_cpu / max(n, 1),
    }


def run_server(name: str, workers: int, storage: str, args, serial: bool = False) -> list[dict]:
    """One server configuration: health, then the authenticated endpoint (and with
    ``serial`` the authenticated endpoint again from a single connection)."""
    import httpx

    work = Path(tempfile.mkdtemp(prefix="siex-bench-http-"))
    home = work / "home"
    keys = seed_tenant(home, args.http_keys)
    port = free_port()
    cmd = [str(UVICORN), "--factory", "siex_api.main:app_from_env", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning",
           "--no-access-log"]  # fmt: skip
    print("$", " ".join(cmd), f"(SIEX_RATE_LIMIT_STORAGE={storage})", file=sys.stderr)
    log = (work / "uvicorn.log").open("wb")
    server = subprocess.Popen(
        cmd, cwd=REPO, env=bench_env(home, storage), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + HEALTH, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {(work / 'uvicorn.log').read_text()}")
            time.sleep(0.2)
        if workers > 1:
            time.sleep(2)  # let every worker finish starting (and migrating)
        rows = []
        plan = [(HEALTH, None, args.concurrency), (args.endpoint, keys, args.concurrency)]
        if serial:
            plan.append((args.endpoint, keys, 1))
        for path, path_keys, concurrency in plan:
            row = measure(base, path, path_keys, concurrency, args, server.pid)
            row.update(config=name, workers=workers, storage=storage)
            print(f"{name} {path} x{concurrency}: {row['rps']:.0f} req/s, p50 {row['p50']:.1f} "
                  f"ms, p99 {row['p99']:.1f} ms, non-2xx {row['non_2xx']}", file=sys.stderr)  # fmt: skip
            rows.append(row)
        return rows
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def bench_http(args) -> list[dict]:
    configs = [("1 worker, memory://", 1, "memory://")]
    if args.redis:
        configs += [("1 worker, Redis", 1, args.redis), ("2 workers, Redis", 2, args.redis)]
    rows = []
    for i, (name, workers, storage) in enumerate(configs):
        rows += run_server(name, workers, storage, args, serial=i == 0)
    return rows


# -- the doc section ---------------------------------------------------------------------


def render(keys: dict | None, http: list[dict] | None, meta: dict) -> str:
    lines = [
        MARK_BEGIN,
        "## API: key authentication and requests per second",
        "",
        f"Measured {meta['date']} on {os.cpu_count()} cores ({cpu_model()}), Python "
        f"{platform.python_version()}, with `{meta['argv']}`. Load average (1, 5, 15 min) "
        f"{meta['load_before']} before the run, {meta['load_after']} after it"
        + (
            ": **the machine was busy with other work**, so these figures are pessimistic; "
            "re-run on a quiet machine before quoting them."
            if meta["busy"]
            else "."
        ),
    ]
    if keys:
        runs = keys["runs"]
        small, large = runs[0], runs[-1]
        p50_ratio, p99_ratio = large["p50"] / small["p50"], large["p99"] / small["p99"]
        verdict = (
            "the cost does not grow with the table (the index is a B-tree: one more level at most)"
            if p50_ratio < 1.5
            else "**the cost grows with the table: look into it**"
        )
        lines += [
            "",
            "### API key authentication is O(1) in the number of keys",
            "",
            "`authenticate_key(session, plaintext, pepper)` in-process against the SQLite "
            "platform database: parse the key, one indexed SELECT by `key_id`, one HMAC-SHA256 "
            "compared in constant time. Each lookup opens its own read-only session, as a GET "
            "request does (its `BEGIN` is inside the timed call).",
            "",
            "| keys stored | lookups | p50 | p99 | mean | valid p50 | unknown id p50 | wrong secret p50 |",
            "| --: | --: | --: | --: | --: | --: | --: | --: |",
        ]
        for run in runs:
            kind = {k: f"{v[1]:.0f} µs" for k, v in run["by_kind"].items()}
            lines.append(
                f"| {run['keys']:,} | {run['lookups']:,} | {run['p50']:.0f} µs | "
                f"{run['p99']:.0f} µs | {run['mean']:.0f} µs | {kind.get('valid', '–')} | "
                f"{kind.get('unknown id', '–')} | {kind.get('wrong secret', '–')} |"
            )
        lines += [
            "",
            f"With {large['keys']:,} keys stored instead of {small['keys']:,} "
            f"({large['keys'] // small['keys']}× as many), the median lookup takes "
            f"**{p50_ratio:.2f}×** as long and the 99th percentile {p99_ratio:.2f}×: "
            f"{verdict}. "
            f"Lookups: 90 % valid keys drawn at random, 5 % well-formed keys with an unknown "
            f"id, 5 % known ids with a wrong secret; the two databases are timed in "
            f"alternating blocks of 100 lookups. The {large['keys']:,}-key database is "
            f"{large['db_mb']:.0f} MB; its keys were inserted in bulk in "
            f"{large['insert_s']:.1f} s (HMACs included) with `last_used_at` set, so the "
            "once-a-minute write of `last_used_at` is not part of these figures.",
            "",
            f"The statements one lookup runs ({len(keys['statements'])}), and SQLite's plan "
            "for its SELECT:",
            "",
            "```",
            *keys["statements"],
            "",
            *(f"EXPLAIN QUERY PLAN: {step}" for step in keys["plan"]),
            "```",
        ]
    if http:
        health = {r["config"]: r for r in http if r["path"] == HEALTH}
        lines += [
            "",
            "### Requests per second under uvicorn",
            "",
            "`uvicorn --factory siex_api.main:app_from_env` as a subprocess, SQLite platform "
            f"database, loopback. Each row: {meta['duration']:g} s or "
            f"{meta['max_requests']:,} requests, whichever comes first, after "
            f"{meta['warmup']:g} s of warm-up, from an asyncio httpx client over keep-alive "
            f"connections. `{meta['endpoint']}` is called with {meta['http_keys']} API keys "
            "of an enterprise tenant in turn (3,000 requests per minute each), so no request "
            "is rate limited; `/v1/health` (no authentication, `SELECT 1`) is the anchor.",
            "",
            "| configuration | endpoint | connections | requests | req/s | p50 | p99 | non-2xx | server CPU per request | client CPU per request | req/s ÷ health |",
            "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
        ]
        for row in http:
            anchor = health.get(row["config"])
            same = anchor and anchor["concurrency"] == row["concurrency"]
            ratio = f"{row['rps'] / anchor['rps']:.2f}×" if same else "–"
            lines.append(
                f"| {row['config']} | `GET {row['path']}` | {row['concurrency']} | "
                f"{row['requests']:,} | **{row['rps']:.0f}** | {row['p50']:.1f} ms | "
                f"{row['p99']:.1f} ms | {row['non_2xx']} | {row['server_cpu_ms']:.2f} ms | "
                f"{row['client_cpu_ms']:.2f} ms | {ratio} |"
            )
        lines += [
            "",
            "Server CPU per request is the CPU time of the uvicorn process and its workers "
            "divided by the requests served: it depends less on other load than req/s does. "
            "The client runs on the same cores and its own CPU time per request is shown "
            "beside it: on 2 cores it takes a good share of the machine, so req/s here is a "
            "floor of what the server does with the cores to itself.",
        ]
        serial = [r for r in http if r["concurrency"] == 1]
        if serial:
            loaded = next(
                r
                for r in http
                if r["config"] == serial[0]["config"]
                and r["path"] == serial[0]["path"]
                and r["concurrency"] > 1
            )
            lines += [
                "",
                f"Latency: `GET {loaded['path']}` has p50 {loaded['p50']:.0f} ms and p99 "
                f"{loaded['p99']:.0f} ms with {loaded['concurrency']} connections against "
                f"{serial[0]['p50']:.1f} / {serial[0]['p99']:.1f} ms with one: with that many "
                "requests in flight on 2 cores shared with the client, each waits its turn "
                "for CPU. Reads take no SQLite lock (`siex/platform/db.py`: only writing "
                "requests begin with `BEGIN IMMEDIATE`), so they do not queue behind each "
                "other or behind writers.",
            ]
    lines.append(MARK_END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keys", type=int, default=100_000, help="keys stored, large case")
    parser.add_argument("--small-keys", type=int, default=1_000, help="keys stored, small case")
    parser.add_argument("--lookups", type=int, default=2_000, help="timed lookups per case")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per HTTP row")
    parser.add_argument("--max-requests", type=int, default=20_000, help="requests per row")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each row")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--http-keys", type=int, default=64, help="API keys the load uses")
    parser.add_argument("--endpoint", default=AUTHENTICATED, help="authenticated GET path")
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/0",
        help="rate limit storage of the Redis configurations; '' to skip them",
    )
    parser.add_argument("--skip-keys", action="store_true", help="no key lookup part")
    parser.add_argument("--skip-http", action="store_true", help="no HTTP part")
    parser.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if not args.skip_http and not UVICORN.exists():
        print(f"no uvicorn at {UVICORN}: install the project's venv first", file=sys.stderr)
        return 2
    started = time.time()
    load_before = load_average()
    keys = None if args.skip_keys else bench_keys(args)
    http = None if args.skip_http else bench_http(args)
    load_after = load_average()
    busy = load_before != "unknown" and float(load_before.split()[0]) > 0.5
    meta = {
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "argv": " ".join(["python benchmarks/api.py", *sys.argv[1:]]),
        "load_before": load_before,
        "load_after": load_after,
        "busy": busy,
        **{k: getattr(args, k) for k in ("duration", "max_requests", "warmup", "concurrency")},
        **{k: getattr(args, k) for k in ("http_keys", "endpoint")},
    }
    section = render(keys, http, meta)
    write_section(args.doc, MARK_BEGIN, MARK_END, section)
    print(section)
    print(f"took {time.time() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
