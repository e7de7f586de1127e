"""The web root: a small page that says firebell is up and where to go next."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from firebell import __version__
from firebell.api.security import runtime_of

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    runtime = runtime_of(request)
    org = escape(runtime.playbook.playbook.organization.name)
    version = escape(runtime.playbook.version)
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>firebell</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#222}}
code{{background:#f3f3f3;padding:.1rem .3rem}}</style></head>
<body><h1>firebell {escape(__version__)}</h1>
<p>Incident response for <strong>{org}</strong>, playbook <code>{version}</code>.</p>
<p><a href="/console/"><strong>Open the web console</strong></a></p>
<ul><li><a href="/docs">API documentation</a>
 (OpenAPI at <a href="/openapi.json">/openapi.json</a>)</li>
<li><a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a></li></ul>
<p>Use the CLI: <code>firebell declare "Checkout is down" --severity P1</code></p>
</body></html>"""
    )
