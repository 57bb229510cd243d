"""Signing in to the pages: a token kept in a cookie, and CSRF-checked forms.

The session cookie holds the pasted token (HttpOnly, SameSite=Strict, Secure over
HTTPS), so every page authenticates exactly as the API does and a revoked token
or an erased person stops working at once. Forms carry a random CSRF value that
must equal the one in a second HttpOnly cookie (the double-submit pattern);
SameSite=Strict already keeps other sites' posts from carrying either cookie.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from mentorlog.core.access import Principal
from mentorlog.core.errors import Unauthenticated
from mentorlog.schema.http import GraphQLView

SESSION_COOKIE = "mentorlog_session"
CSRF_COOKIE = "mentorlog_csrf"
CSRF_FIELD = "csrf"
SESSION_SECONDS = 8 * 3600
CSRF_BYTES = 32


def authorization(request: Request) -> str:
    """The request's Authorization header, or one made from its session cookie."""
    header = request.headers.get("authorization", "")
    token = request.cookies.get(SESSION_COOKIE, "")
    return header or (f"Bearer {token}" if token else "")


async def principal_of(request: Request) -> Principal | None:
    """Who the request's bearer token or session cookie names; None when nobody."""
    header = authorization(request)
    if not header:
        return None
    try:
        return await GraphQLView._principal(request, header)
    except Unauthenticated:
        return None


async def check_token(request: Request, token: str) -> Principal:
    """The principal of a pasted token, or raise Unauthenticated."""
    return await GraphQLView._principal(request, f"Bearer {token.strip()}")


def csrf_value(request: Request) -> str:
    """The request's CSRF value: its cookie's, or a new one (set by remember_csrf)."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) >= CSRF_BYTES:
        return existing
    made: str | None = getattr(request.state, "csrf", None)
    if made is None:
        made = request.state.csrf = secrets.token_urlsafe(CSRF_BYTES)
    return made


def remember_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie when the page made a new value."""
    value = getattr(request.state, "csrf", None)
    if value is not None:
        _cookie(request, response, CSRF_COOKIE, value)


def csrf_ok(request: Request, submitted: object) -> bool:
    """True when a form's CSRF field equals the request's CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return (
        isinstance(submitted, str)
        and bool(cookie)
        and hmac.compare_digest(cookie.encode(), submitted.encode())
    )


def sign_in(
    request: Request, response: Response, token: str, seconds: int = SESSION_SECONDS
) -> None:
    """Keep the token in the session cookie (for `seconds` at most)."""
    _cookie(request, response, SESSION_COOKIE, token.strip(), seconds)


def sign_out(response: Response) -> None:
    """Forget the session."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def _cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    seconds: int = SESSION_SECONDS,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
