"""`firebell show 1` wall time: the CLI must not import the server.

    python bench/cli_show.py [--runs 20]

Starts `firebell serve` (SQLite) with one incident, then runs the installed `firebell
show 1` `--runs` times as a new process each time (what a person at a shell waits for)
and reports the median and worst wall time, plus how long importing the CLI takes and
whether it imported any server module. Target: median < 300 ms. The CPU time per run is
printed too: on a machine shared with other work the wall time mostly measures waiting.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _common import Server, Targets, bench_playbook, machine, temp_home

SERVER_MODULES = ("fastapi", "sqlalchemy", "uvicorn", "alembic", "starlette", "firebell.api")


def cli_command() -> list[str]:
    installed = shutil.which("firebell", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-m", "firebell"]


def server_modules_imported() -> list[str]:
    probe = (
        "import sys, firebell.cli.main; "
        f"print(','.join(m for m in {SERVER_MODULES!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    targets = Targets()
    with temp_home("cli") as home:
        playbook = bench_playbook(home / "playbook.yaml", None)
        with Server(home, playbook) as server:
            r = httpx.post(
                server.base + "/api/v1/incidents",
                headers=server.headers,
                json={"title": "bench", "severity": "P3"},
                timeout=10,
            )
            r.raise_for_status()
            number = r.json()["id"]
            env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
            env.update(FIREBELL_URL=server.base, FIREBELL_TOKEN=server.token)
            command = [*cli_command(), "show", str(number), "--json"]
            times, cpu = [], []
            for _ in range(args.runs):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                out = subprocess.run(command, env=env, capture_output=True, text=True)
                times.append((time.perf_counter() - start) * 1000)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                cpu.append(used * 1000)
                assert out.returncode == 0 and json.loads(out.stdout)["id"] == number, out.stderr
    imports = server_modules_imported()
    median, worst = statistics.median(times), max(times)
    print(
        f"firebell show {number}: median {median:.0f} ms, worst {worst:.0f} ms ({args.runs} runs)"
    )
    print(
        f"CPU time of one run (user+sys): median {statistics.median(cpu):.0f} ms "
        f"(what the wall time is on an idle core); load average {os.getloadavg()[0]:.1f}"
    )
    print(f"server modules imported by the CLI: {imports or 'none'}")
    targets.check("firebell show median", median, "<", 300, " ms")
    targets.check("server modules imported", len(imports), "<", 1)
    return targets.exit()


if __name__ == "__main__":
    sys.exit(main())
