"""Serve only the public status page, from its own process:

    python -m firebell.statuspage.public [--port 8081] [--host 127.0.0.1]
        (FIREBELL_HOME, FIREBELL_DATABASE_URL and FIREBELL_PLAYBOOK as for `firebell serve`)

During an outage the page's crowd then costs the responders' API nothing but CPU: the
page and the API no longer share one event loop and one interpreter lock. It reads the
same database (the snapshot notices every change), runs no engine, and answers `/status`,
`/api/v2/*.json`, the feeds and the subscription forms; everything else is 404.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from firebell.api import problems
from firebell.config import Settings
from firebell.runtime import Runtime, build_runtime
from firebell.statuspage.fast import PublicStatus
from firebell.statuspage.routes import public_router


def create_public_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    problems.install(app)
    app.include_router(public_router)
    app.add_middleware(
        PublicStatus,
        snapshots=lambda: runtime.status_page.snapshots,
        host=lambda: runtime.playbook.playbook.status_page.host,
    )
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--database-url")
    parser.add_argument("--playbook", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args(argv)
    settings = Settings.resolve(
        home=args.home,
        database_url=args.database_url,
        playbook=args.playbook,
        host=args.host,
        port=args.port,
    )
    runtime = build_runtime(settings, migrate=False)
    try:
        uvicorn.run(create_public_app(runtime), host=args.host, port=args.port, log_level="warning")
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
