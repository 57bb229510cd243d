"""Signing in with the identity provider: OAuth 2.0 authorization code with PKCE.

As RFC 9700 (the OAuth 2.0 Security BCP) and OpenID Connect Core say: the
request carries a one-time `state` (CSRF) and `nonce` (replay), and a PKCE S256
challenge; the verifier, state, nonce and where to go back to stay in a cookie
signed with HMAC-SHA256, HttpOnly, SameSite=Lax (the provider's redirect back is
a cross-site navigation) and good for ten minutes, used once. The callback checks
the state against it, the `iss` parameter (RFC 9207) when sent, exchanges the
code with the verifier, verifies the ID token (signature, iss, aud = the client
ID, exp, nonce, azp) and lets its verified email redeem an invitation (linking
the identity), then keeps the access token, which the API accepts like any
bearer token, in the same session cookie a pasted token gets.

Each failure is a page with a stable code (OIDC_*), never a 500.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from functools import cache
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mentorlog.core.access import Principal
from mentorlog.core.errors import TokenRefused, Unauthenticated
from mentorlog.core.oidc import OidcClient, OidcSettings, Verifier, discover
from mentorlog.services import Services
from mentorlog.web import session
from mentorlog.web.pages import provider_name, render, safe_next

FLOW_COOKIE = "mentorlog_signin"
FLOW_PATH = "/signin"
FLOW_SECONDS = 600
CALLBACK = "/signin/callback"


class SignInFailed(Exception):
    """A provider sign-in that cannot go on: a stable code and what to tell."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def configured(request: Request) -> tuple[OidcSettings, OidcClient] | None:
    """The issuer's settings and the web client's, when both are set."""
    settings = request.app.state.services.settings
    if settings.oidc is None or settings.oidc_client is None:
        return None
    return settings.oidc, settings.oidc_client


@cache
def _process_key() -> bytes:
    return secrets.token_bytes(32)


def _key(client: OidcClient) -> bytes:
    return client.state_key or _process_key()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(client: OidcClient, flow: dict[str, Any]) -> str:
    """The flow as a signed cookie value: payload.mac."""
    payload = _b64(json.dumps(flow, separators=(",", ":")).encode())
    mac = hmac.new(_key(client), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def unseal(client: OidcClient, value: str) -> dict[str, Any] | None:
    """The flow a cookie value holds, if its MAC verifies and it has not expired."""
    payload, _, mac = value.partition(".")
    expected = hmac.new(_key(client), payload.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        flow = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    if not isinstance(flow, dict) or not isinstance(flow.get("exp"), int):
        return None
    return flow if flow["exp"] > time.time() else None


def challenge_of(verifier: str) -> str:
    """The PKCE S256 code challenge of a verifier (RFC 7636)."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def redirect_uri(request: Request, client: OidcClient) -> str:
    """Where the provider sends the browser back: the setting, or this origin's."""
    if client.redirect_uri:
        return client.redirect_uri
    return f"{request.url.scheme}://{request.url.netloc}{CALLBACK}"


async def _endpoints(oidc: OidcSettings) -> dict[str, str]:
    try:
        async with httpx.AsyncClient(timeout=oidc.timeout) as http:
            return await discover(
                http, oidc.issuer, "authorization_endpoint", "token_endpoint"
            )
    except (httpx.HTTPError, ValueError) as error:
        raise _unavailable(error) from None


def _unavailable(error: Exception) -> SignInFailed:
    why = "no answer in time" if isinstance(error, httpx.TimeoutException) else error
    return SignInFailed(
        "OIDC_PROVIDER_UNAVAILABLE",
        f"The identity provider cannot be reached ({why or type(error).__name__}); "
        "try again later.",
        503,
    )


async def start(request: Request) -> Response:
    """GET /signin/provider: send the browser to the provider's sign-in.

    A link, not a form: the CSP's form-action 'self' stops a form's redirect to
    another origin. Starting a sign-in changes nothing here; the state binds its
    answer to this browser."""
    back = safe_next(request.query_params.get("next"))
    both = configured(request)
    if both is None:
        return failed(request, SignInFailed("OIDC_NOT_CONFIGURED", NOT_SET, 404))
    oidc, client = both
    try:
        endpoints = await _endpoints(oidc)
    except SignInFailed as failure:
        return failed(request, failure)
    flow: dict[str, Any] = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),  # 86 characters (43 to 128 allowed)
        "next": back,
        "exp": int(time.time()) + FLOW_SECONDS,
    }
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri(request, client),
        "scope": client.scope,
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": challenge_of(flow["verifier"]),
        "code_challenge_method": "S256",
    }
    if client.resource:
        query["resource"] = client.resource
    authorize = endpoints["authorization_endpoint"]
    joiner = "&" if "?" in authorize else "?"
    response = RedirectResponse(f"{authorize}{joiner}{urlencode(query)}", 303)
    response.set_cookie(
        FLOW_COOKIE,
        seal(client, flow),
        max_age=FLOW_SECONDS,
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def callback(request: Request) -> Response:
    """GET /signin/callback: check the answer, exchange the code, sign in."""
    try:
        token, seconds, back = await _finish(request)
    except SignInFailed as failure:
        response = failed(request, failure)
    else:
        # A page, not a redirect: the session cookie is SameSite=Strict, and a
        # redirect still counts as the provider's cross-site navigation.
        response = render(request, "signed-in.html", next=back)
        session.sign_in(request, response, token, min(seconds, session.SESSION_SECONDS))
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax")
    return response


async def _finish(request: Request) -> tuple[str, int, str]:
    """The access token, its lifetime and the page to go back to; or raise."""
    both = configured(request)
    if both is None:
        raise SignInFailed("OIDC_NOT_CONFIGURED", NOT_SET, 404)
    oidc, client = both
    params = request.query_params
    flow = unseal(client, request.cookies.get(FLOW_COOKIE, ""))
    if flow is None:
        raise SignInFailed(
            "OIDC_STATE_MISMATCH",
            "This sign-in was not started in this browser, or took longer than "
            f"{FLOW_SECONDS // 60} minutes; start it again.",
        )
    if "error" in params:
        described = params.get("error_description")
        raise SignInFailed(
            "OIDC_PROVIDER_ERROR",
            f"The identity provider refused the sign-in: {params['error'][:100]}"
            + (f" ({described[:300]})" if described else ""),
        )
    if not hmac.compare_digest(
        params.get("state", "").encode(), str(flow["state"]).encode()
    ):
        raise SignInFailed(
            "OIDC_STATE_MISMATCH",
            "The provider's answer does not belong to this sign-in; start it again.",
        )
    if "iss" in params and params["iss"] != oidc.issuer:
        raise SignInFailed(
            "OIDC_ISSUER_MISMATCH", "The answer came from another identity provider."
        )
    code = params.get("code", "")
    if not code:
        raise SignInFailed("OIDC_PROVIDER_ERROR", "The provider sent no code.")
    tokens = await _exchange(request, oidc, client, code, str(flow["verifier"]))
    signed_in = await _verify_id_token(
        request, oidc, client, tokens, str(flow["nonce"])
    )
    access = tokens.get("access_token")
    if not isinstance(access, str):
        raise SignInFailed(
            "OIDC_CODE_EXCHANGE_FAILED", "The provider sent no access token."
        )
    try:
        acting = await session.check_token(request, access)
    except Unauthenticated as refused:
        raise SignInFailed(
            "OIDC_ACCESS_TOKEN_REFUSED",
            f"The provider's access token is not accepted: {refused.message}",
            401,
        ) from None
    if acting.identity_id != signed_in.identity_id:
        raise SignInFailed(
            "OIDC_ACCESS_TOKEN_REFUSED",
            "The provider's access token names another identity than its ID token.",
            401,
        )
    expires = tokens.get("expires_in")
    seconds = expires if isinstance(expires, int) and expires > 0 else FLOW_SECONDS
    return access, seconds, safe_next(str(flow.get("next") or ""))


async def _exchange(
    request: Request, oidc: OidcSettings, client: OidcClient, code: str, verifier: str
) -> dict[str, Any]:
    """The token endpoint's answer to the code and its verifier."""
    endpoints = await _endpoints(oidc)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(request, client),
        "code_verifier": verifier,
    }
    if client.resource:
        data["resource"] = client.resource
    auth = None
    if client.client_secret:
        auth = httpx.BasicAuth(client.client_id, client.client_secret)
    else:
        data["client_id"] = client.client_id
    try:
        async with httpx.AsyncClient(timeout=oidc.timeout) as http:
            answer = await http.post(
                endpoints["token_endpoint"],
                data=data,
                auth=auth or httpx.USE_CLIENT_DEFAULT,
            )
    except httpx.HTTPError as error:
        raise _unavailable(error) from None
    try:
        tokens = answer.json()
    except ValueError:
        tokens = None
    if answer.status_code != 200 or not isinstance(tokens, dict):
        said = tokens.get("error") if isinstance(tokens, dict) else None
        raise SignInFailed(
            "OIDC_CODE_EXCHANGE_FAILED",
            f"The provider did not exchange the code (HTTP {answer.status_code}"
            + (f", {str(said)[:100]}" if said else "")
            + "); start the sign-in again.",
            502,
        )
    return tokens


def _id_verifier(request: Request, oidc: OidcSettings, client: OidcClient) -> Verifier:
    """A verifier for ID tokens (their audience is the client), kept per app."""
    state = request.app.state
    kept: Verifier | None = getattr(state, "id_token_verifier", None)
    if kept is None:
        kept = Verifier(
            OidcSettings(
                issuer=oidc.issuer,
                audience=client.client_id,
                jwks_url=oidc.jwks_url,
                algorithms=oidc.algorithms,
                leeway=oidc.leeway,
                timeout=oidc.timeout,
                min_refresh=oidc.min_refresh,
                max_age=oidc.max_age,
            )
        )
        state.id_token_verifier = kept
    return kept


async def _verify_id_token(
    request: Request,
    oidc: OidcSettings,
    client: OidcClient,
    tokens: dict[str, Any],
    nonce: str,
) -> Principal:
    """Verify the ID token; its verified email may redeem an invitation."""
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise SignInFailed("OIDC_ID_TOKEN_REFUSED", "The provider sent no ID token.")
    services: Services = request.app.state.services
    try:
        claims = await _id_verifier(request, oidc, client).verify(id_token)
    except TokenRefused as refused:
        raise SignInFailed(
            "OIDC_ID_TOKEN_REFUSED",
            f"The ID token is refused ({refused.reason}): {refused.message}",
        ) from None
    sent = claims.raw.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, nonce):
        raise SignInFailed(
            "OIDC_ID_TOKEN_REFUSED", "The ID token's nonce is not this sign-in's."
        )
    azp = claims.raw.get("azp")
    if azp is not None and azp != client.client_id:
        raise SignInFailed(
            "OIDC_ID_TOKEN_REFUSED", "The ID token was issued to another client."
        )
    email = claims.email if claims.email_verified else None
    try:
        principal: Principal = await asyncio.to_thread(
            services.app.authenticate_identity,
            claims.issuer,
            claims.subject,
            None,
            email,
        )
    except Unauthenticated as refused:
        reason = getattr(refused, "reason", "UNAUTHENTICATED")
        raise SignInFailed(
            "OIDC_NOT_LINKED" if reason == "IDENTITY_NOT_LINKED" else reason,
            f"{refused.message}. Ask an admin to invite your email address.",
            403,
        ) from None
    return principal


NOT_SET = "Signing in with an identity provider is not set up on this server."


def failed(request: Request, failure: SignInFailed) -> HTMLResponse:
    """The sign-in page again, saying what went wrong and its code."""
    return render(
        request,
        "signin.html",
        failure.status,
        next="/",
        provider=provider_name(request),
        error=failure.message,
        error_code=failure.code,
    )


ROUTES = [
    Route("/signin/provider", start, methods=["GET"]),
    Route(CALLBACK, callback, methods=["GET"]),
]
