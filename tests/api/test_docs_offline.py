"""The interactive docs work without internet: their pages name only assets Attune serves."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

EXTERNAL = re.compile(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}")  # any URL with a host of its own
ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""")


@pytest.mark.parametrize(
    ("page", "kinds_named"), [("/docs", {"js", "css", "png"}), ("/redoc", {"js", "png"})]
)
def test_a_docs_page_names_no_external_url_and_its_assets_are_served(
    client: TestClient, page: str, kinds_named: set[str]
) -> None:
    stranger = TestClient(client.app)  # the docs need no credential
    html = stranger.get(page)

    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert EXTERNAL.findall(html.text) == []
    assets = {a or b for a, b in ASSET.findall(html.text)} - {"/openapi.json"}
    kinds = {"js": "javascript", "css": "text/css", "png": "image/png"}
    assert {a.rsplit(".", 1)[-1] for a in assets} == kinds_named
    for asset in assets:
        answer = stranger.get(asset)
        assert answer.status_code == 200, asset
        assert kinds[asset.rsplit(".", 1)[-1]] in answer.headers["content-type"], asset
        assert len(answer.content) > 1000, asset


def test_swagger_ui_gets_its_script_and_style_from_attune(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "swagger-ui-bundle.js" in html and "swagger-ui.css" in html
    assert "cdn.jsdelivr.net" not in html


def test_the_docs_are_not_operations_of_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]
