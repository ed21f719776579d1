"""`siex run` (`make run`): the demo site, `dagster dev` and the API, stopped together.

Children run in their own process groups with default signal handlers, so a
Ctrl-C here stops every process they started, even when this command was
launched from a shell that ignores SIGINT.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing, suppress

from siex import demo_site
from siex.bootstrap import ensure_demo_tenant
from siex.config import REPO_ROOT, Settings
from siex.instance import prepare_dagster_home

STOP_GRACE_S = 20


def _reset_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    os.setpgrp()


def _port_free(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _stop(children: dict[str, subprocess.Popen]) -> None:
    for proc in children.values():
        if proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_platform(settings: Settings, dagster_port: int = 3000, api_port: int = 8000) -> int:
    for name, port in (("Dagster UI", dagster_port), ("API", api_port)):
        if not _port_free(port):
            print(
                f"port {port} for the {name} is in use; stop what holds it first", file=sys.stderr
            )
            return 1
    prepare_dagster_home(settings)
    key = ensure_demo_tenant(settings)
    site = demo_site.serve(settings.demo_port) if _port_free(settings.demo_port) else None

    env = dict(os.environ)
    children: dict[str, subprocess.Popen] = {}
    stopping = signalled = False

    def request_stop(signum, _frame) -> None:
        nonlocal stopping, signalled
        stopping = signalled = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        children["dagster"] = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(dagster_port)],
            cwd=REPO_ROOT, env=env, preexec_fn=_reset_signals,
        )  # fmt: skip
        children["api"] = subprocess.Popen(
            [sys.executable, "-m", "siex.cli", "api", "--host", "127.0.0.1", "--port", str(api_port)],
            cwd=REPO_ROOT, env=env, preexec_fn=_reset_signals,
        )  # fmt: skip
        print(
            "\nSIE-X is starting:\n"
            f"  Dagster UI   http://127.0.0.1:{dagster_port}  (sensors pick up the demo feeds within a minute)\n"
            f"  API docs     http://127.0.0.1:{api_port}/docs\n"
            f"  demo sites   {settings.demo_base_url}/own/  and  /competitor/\n"
            f"  warehouse    {settings.warehouse_db_path}  (DuckDB views over {settings.warehouse_dir})\n"
            + (f"  demo API key {key}  (shown once; `siex keys create --tenant demo` makes another)\n"
               if key else "  demo API key: `.venv/bin/siex keys create --tenant demo` issues one\n")
            + "Press Ctrl-C to stop everything.\n",
            file=sys.stderr,
        )  # fmt: skip
        while not stopping:
            for name, proc in children.items():
                if proc.poll() is not None:
                    print(f"{name} exited with status {proc.returncode}; stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("stopping SIE-X ...", file=sys.stderr)
        _stop(children)
        if site:
            site.shutdown()
            site.server_close()
    return 0 if signalled else 1  # a child that exited on its own is a failure
