"""405 answers: a method a path does not serve is answered with every method it does.

Starlette answers a 405 with the methods of the first route whose path matches, so a path
served by several routes (`GET` and `POST /api/v1/executions`) would list only one of them
in `Allow`; an `OPTIONS` request is answered the same way, listing them all.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route


def _methods_serving(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match in (Match.FULL, Match.PARTIAL):
                methods |= route.methods
    return sorted(methods)


async def method_not_allowed(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    allowed = ", ".join(_methods_serving(request))
    detail = f"{request.method} is not served here; this path serves {allowed}"
    return JSONResponse({"detail": detail}, status_code=405, headers={"Allow": allowed})
