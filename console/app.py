"""Wiring the console and the offline API documentation into the API's app.

Swagger UI and ReDoc come from the `fastapi-offline` package, which ships exactly their built
files (swagger-ui-dist's bundle and stylesheet, redoc's standalone bundle) for this purpose; kaohe
uses the files only, under its own routes, so the app stays a plain FastAPI app. That keeps 3 MB
of minified JavaScript out of this repository and lets pip update it. FastAPI's page templates are
given local URLs for everything: the favicon, no Google Fonts for ReDoc, and no Swagger validator
badge (which would fetch an image from validator.swagger.io).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, RedirectResponse, Response

from . import auth, decisions, pages

STATIC = Path(__file__).parent / "static"
DOCS_STATIC = "/console/static/docs"
# The documentation pages may only reach this server. Their HTML has inline start-up scripts, and
# ReDoc draws a "by Redocly" logo from cdn.redoc.ly that no option turns off: the browser blocks it
# here, before any request leaves the machine (the logo hides itself when it fails to load).
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")


def _docs_assets() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


def install(app: FastAPI, *, docs: bool = True) -> None:
    """Add the console at /console (and `/` → /console/), and /docs and /redoc when `docs` is set."""
    pages.compile_templates()
    app.include_router(pages.router)
    app.include_router(decisions.router)
    app.mount("/console/static/docs", StaticFiles(directory=str(_docs_assets())), name="console-docs-static")
    app.mount("/console/static", StaticFiles(directory=str(STATIC)), name="console-static")

    async def login_required(request: Request, exc: auth.LoginRequired) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": auth.login_redirect(exc).headers["location"]})
        return auth.login_redirect(exc)

    app.add_exception_handler(auth.LoginRequired, login_required)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    if not docs:
        return

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _confined(get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — Swagger UI",
                                   swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None}))

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _confined(get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — ReDoc",
                              redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_STATIC}/favicon.png", with_google_fonts=False))


def _confined(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
