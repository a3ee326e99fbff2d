"""The console's sign-in: the same API keys as the API, entered once and kept in a cookie.

The cookie holds the key itself, so every worker process checks it exactly as the API checks a
header (hashed, compared in constant time) and no session store is needed. It is HttpOnly (no
script reads it), SameSite=Strict (no other site's page makes the browser send it, which also
stops cross-site form posts) and scoped to /console; Secure when the console is reached over
HTTPS. A server that serves without keys (loopback, or --allow-anonymous) asks for none.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from kaohe.api.deps import check_key
from kaohe.api.problems import Problem

COOKIE = "kaohe_console_key"
PATH = "/console"
MAX_AGE = 8 * 3600  # a working day


class LoginRequired(Exception):
    """Raised by a page that needs a key; answered with a redirect to the sign-in page."""

    def __init__(self, next_url: str, wrong: bool = False):
        self.next_url = next_url
        self.wrong = wrong


def key_name(request: Request) -> str | None:
    """The caller's key name (None when the server asks for no key); LoginRequired if there is none."""
    settings = request.app.state.settings
    if not settings.auth_enabled:
        return None
    key = request.cookies.get(COOKIE)
    if not key:
        raise LoginRequired(_here(request))
    try:
        return check_key(settings, key, request.app.state.metrics)
    except Problem:
        raise LoginRequired(_here(request), wrong=True) from None


def key_is_valid(request: Request, key: str) -> bool:
    try:
        check_key(request.app.state.settings, key, request.app.state.metrics)
        return True
    except Problem:
        return False


def _here(request: Request) -> str:
    path = request.url.path
    if request.method == "GET" and request.url.query:
        path += "?" + request.url.query
    return path


def safe_next(value: str | None) -> str:
    """Only a console path: a sign-in never sends the browser elsewhere."""
    if value and value.startswith(PATH) and not value.startswith("//") and "\\" not in value:
        return value
    return PATH + "/"


def login_redirect(exc: LoginRequired) -> Response:
    target = f"{PATH}/login?next={quote(exc.next_url, safe='/')}" + ("&wrong=1" if exc.wrong else "")
    response = RedirectResponse(target, status_code=303)
    if exc.wrong:
        response.delete_cookie(COOKIE, path=PATH)
    return response


def remember(response: Response, request: Request, key: str) -> None:
    response.set_cookie(COOKIE, key, max_age=MAX_AGE, path=PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)
