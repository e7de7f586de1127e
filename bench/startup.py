"""`firebell serve` start-up: time from launching the process to `/readyz` answering 200.

    python bench/startup.py [--runs 5]

Each run starts `firebell serve` (SQLite, default playbook) in a fresh FIREBELL_HOME (the
first start: migrations, admin token) and then again on the same home (a restart).
Reported: median and worst of the runs. Target: ready in < 3 s on an idle machine.
Where the time goes: `python -X importtime -m firebell --help` and a profile of
`build_runtime` (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _common import Targets, free_port, machine, pct, temp_home


def ready_after(home: Path) -> float:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
    env["FIREBELL_HOME"] = str(home)
    started = time.perf_counter()
    with open(home / "serve.log", "a") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "firebell", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit((home / "serve.log").read_text())
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise SystemExit("not ready within 60 s")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"bench/startup.py  {machine()}  load {os.getloadavg()[0]:.1f}")
    first: list[float] = []
    again: list[float] = []
    for _ in range(args.runs):
        with temp_home("startup") as home:
            first.append(ready_after(home))
            again.append(ready_after(home))
    t = Targets()
    for label, values in (("first start", first), ("restart", again)):
        print(f"  {label:12} median {pct(values, 50):5.2f} s  worst {max(values):5.2f} s")
        t.check(f"serve ready ({label}) median", pct(values, 50), "<", 3, " s")
    return t.exit()


if __name__ == "__main__":
    sys.exit(main())
