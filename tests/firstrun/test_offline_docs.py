"""/docs and /redoc come from local files: no reference to another host."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


def test_redoc_is_not_served(app_client: TestClient) -> None:
    assert app_client.get("/redoc").status_code == 404


@pytest.mark.parametrize("page", ["/docs"])
def test_docs_pages_reference_only_this_server(app_client: TestClient, page: str) -> None:
    r = app_client.get(page)
    assert r.status_code == 200
    html = r.text
    assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html
    assert "fastapi.tiangolo.com" not in html
    references = [a or b for a, b in URL.findall(html)]
    assert references, html
    for ref in references:
        assert ref.startswith("/"), f"{page} references {ref}"
        asset = app_client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 100
