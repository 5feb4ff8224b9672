"""The interactive API docs, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, served offline.

FastAPI's own docs pages load their scripts, styles, fonts and favicon from CDNs, so they are
blank without internet. These pages name only assets Attune serves itself, from the files the
``fastapi-offline`` package ships (Swagger UI 5, which renders OpenAPI 3.1, and ReDoc). The
pages and assets are not operations of the API (none is in the OpenAPI document) and need no
credential, like the OpenAPI document they show.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"

router = APIRouter(include_in_schema=False)


def _assets_directory() -> Path:
    directory = resources.files("fastapi_offline") / "static"
    if not isinstance(directory, Path):  # StaticFiles serves real files only
        raise RuntimeError(f"fastapi_offline is not installed as plain files ({directory})")
    return directory


def _urls(request: Request) -> tuple[str, str]:
    """The OpenAPI document's and the assets' URLs, under the root path a proxy may add."""
    root = request.scope.get("root_path", "")
    return f"{root}{request.app.openapi_url}", f"{root}{ASSETS_URL}"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    openapi, assets = _urls(request)
    return get_swagger_ui_html(
        openapi_url=openapi,
        title=f"{request.app.title} API",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    openapi, assets = _urls(request)
    return get_redoc_html(
        openapi_url=openapi,
        title=f"{request.app.title} API",
        redoc_js_url=f"{assets}/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/favicon.png",
        with_google_fonts=False,
    )


def install(app: FastAPI) -> None:
    """Serve the docs pages and their assets; `app` must be made with docs_url=None and
    redoc_url=None, so FastAPI's CDN pages are not served too."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=_assets_directory()), name="docs-assets")
