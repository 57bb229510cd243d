"""OpenID Connect bearer tokens: a JWT from the configured issuer, checked locally.

The checks follow RFC 8725 (JWT best current practices) and RFC 9068: the `alg`
must be on the allowlist (asymmetric algorithms only, so never `none` and never an
HMAC keyed with a public key), the signature must verify with the issuer's key
named by `kid`, `iss` and `aud` must be the configured ones, `exp` must be in the
future and `nbf` (if any) in the past, each with `leeway` seconds of clock skew,
and `sub` must be present. joserfc does the JOSE work.

The issuer's keys (its JWKS, from `jwks_url` or the discovery document's
`jwks_uri`) are fetched with a timeout and kept `max_age` seconds; a token naming
a `kid` the kept keys lack fetches them again, at most once every `min_refresh`
seconds (a flood of made-up kids costs the issuer nothing). One fetch runs at a
time; requests that need keys meanwhile wait for it, at most `timeout` seconds.
Fetching is asynchronous, so a slow issuer holds no thread and the server keeps
answering everyone else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import errors as jose
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from mentorlog.core.errors import TokenRefused

# Asymmetric algorithms only: an HMAC (HS*) would take the issuer's public key as
# a shared secret, and `none` signs nothing.
ASYMMETRIC = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
MAX_JWT_LENGTH = 8192
DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class OidcSettings:
    """Which issuer's tokens are accepted, for which audience, and how keys are got."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = ASYMMETRIC
    leeway: int = 30  # seconds of clock skew allowed on exp and nbf
    timeout: float = 3.0  # seconds a fetch of the discovery document or JWKS may take
    min_refresh: float = 30.0  # seconds between fetches of the JWKS
    max_age: float = 300.0  # seconds the keys are kept before they are fetched anew

    def __post_init__(self) -> None:
        refused = sorted(set(self.algorithms) - set(ASYMMETRIC))
        if refused:
            raise ValueError(
                f"MENTORLOG_OIDC_ALGORITHMS may name only asymmetric algorithms "
                f"({', '.join(ASYMMETRIC)}), not {', '.join(refused)}"
            )
        if not self.algorithms:
            raise ValueError("MENTORLOG_OIDC_ALGORITHMS names no algorithm")
        if not self.audience:
            raise ValueError("MENTORLOG_OIDC_AUDIENCE must be set with the issuer")


@dataclass(frozen=True)
class OidcClient:
    """mentorlog as the provider's relying party: the web sign-in's client."""

    client_id: str
    client_secret: str | None = None  # None: a public client (PKCE alone)
    redirect_uri: str | None = None  # None: the request's origin + /signin/callback
    scope: str = "openid email"
    resource: str | None = None  # RFC 8707: asks for an access token for the API
    name: str = "your organisation"  # the button's "Sign in with <name>"
    state_key: bytes | None = None  # signs the sign-in cookie; None: one per process


@dataclass(frozen=True)
class Claims:
    """What a verified token says: who (iss, sub), and the email if any."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    raw: dict[str, Any]


def looks_like_jwt(token: str) -> bool:
    """True for a compact JWS: three base64url parts."""
    return token.count(".") == 2


class Verifier:
    """Verifies the configured issuer's JWTs against its cached JWKS."""

    def __init__(
        self,
        settings: OidcSettings,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.transport = transport
        self.fetches = 0  # JWKS fetches tried, for tests and metrics
        self._keys: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._fetched = float("-inf")  # when the last fetch was tried
        self._failure: str | None = None  # why the last fetch failed
        self._lock: asyncio.Lock | None = None

    async def verify(self, token: str) -> Claims:
        """The claims of a valid token, or raise TokenRefused saying why."""
        if len(token) > MAX_JWT_LENGTH or not looks_like_jwt(token):
            raise TokenRefused("TOKEN_MALFORMED", "the token is not a JWT")
        try:
            header = extract_compact(token.encode()).protected
        except (jose.JoseError, ValueError, TypeError):
            raise TokenRefused(
                "TOKEN_MALFORMED", "the token's header is not valid JSON"
            ) from None
        alg = header.get("alg")
        if alg not in self.settings.algorithms:
            raise TokenRefused(
                "TOKEN_ALGORITHM_REFUSED",
                f"the token's algorithm {json.dumps(alg)} is not accepted "
                f"(accepted: {', '.join(self.settings.algorithms)})",
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRefused("TOKEN_MALFORMED", "the token's kid is not a string")
        keys = await self._keys_for(kid)
        try:
            decoded = jwt.decode(token, keys, algorithms=list(self.settings.algorithms))
        except jose.BadSignatureError:
            raise TokenRefused(
                "TOKEN_BAD_SIGNATURE", "the token's signature does not verify"
            ) from None
        except (jose.InvalidKeyIdError, jose.MissingKeyError):
            raise self._unknown_key(kid) from None
        except (jose.JoseError, ValueError, TypeError) as error:
            raise TokenRefused(
                "TOKEN_MALFORMED", f"the token cannot be read: {error}"
            ) from None
        return self._check_claims(decoded.claims)

    def _check_claims(self, claims: dict[str, Any]) -> Claims:
        """Check iss, aud, exp, nbf and sub; the claims as Claims."""
        settings = self.settings
        if claims.get("iss") != settings.issuer:
            raise TokenRefused(
                "TOKEN_WRONG_ISSUER",
                f"the token's issuer is not {settings.issuer}",
            )
        registry = jwt.JWTClaimsRegistry(
            leeway=settings.leeway,
            aud={"essential": True, "value": settings.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except jose.ExpiredTokenError:
            raise TokenRefused("TOKEN_EXPIRED", "the token has expired") from None
        except jose.MissingClaimError as error:
            raise TokenRefused(
                "TOKEN_MALFORMED", f"the token lacks the claim {error.claim}"
            ) from None
        except jose.InvalidClaimError as error:
            if error.claim == "aud":
                raise TokenRefused(
                    "TOKEN_WRONG_AUDIENCE",
                    f"the token is not for the audience {settings.audience}",
                ) from None
            timed = isinstance(claims.get(error.claim), int | float)
            if error.claim in ("nbf", "iat") and timed:
                raise TokenRefused(
                    "TOKEN_NOT_YET_VALID",
                    f"the token is not valid yet (its {error.claim} is in the future)",
                ) from None
            raise TokenRefused(
                "TOKEN_MALFORMED", f"the token's claim {error.claim} is invalid"
            ) from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise TokenRefused("TOKEN_MALFORMED", "the token's sub is not a string")
        email = claims.get("email")
        return Claims(
            issuer=settings.issuer,
            subject=subject,
            email=email if isinstance(email, str) else None,
            email_verified=claims.get("email_verified") is True,
            raw=claims,
        )

    def _unknown_key(self, kid: str | None) -> TokenRefused:
        if self._failure is not None and self._keys is None:
            return self._unavailable()
        return TokenRefused(
            "TOKEN_UNKNOWN_KEY",
            f"the issuer has no key {json.dumps(kid)} (its keys were fetched "
            f"at most {self.settings.min_refresh:g} s ago)",
        )

    def _unavailable(self) -> TokenRefused:
        return TokenRefused(
            "ISSUER_UNAVAILABLE",
            f"the issuer's keys cannot be fetched ({self._failure}); try again later",
        )

    async def _keys_for(self, kid: str | None) -> KeySet:
        """The keys, fetched anew when stale or lacking `kid` (at a bounded rate)."""
        if self._fresh_enough(kid):
            assert self._keys is not None
            return self._keys
        if self._lock is None:
            self._lock = asyncio.Lock()
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with self._lock:
                    if not self._fresh_enough(kid) and self._may_fetch():
                        await self._fetch()
        except TimeoutError:
            pass  # waited for another request's fetch as long as one may take
        if self._keys is None:
            if self._failure is None:
                self._failure = f"no answer within {self.settings.timeout:g} s"
            raise self._unavailable()
        if kid is not None and kid not in self._kids:
            raise self._unknown_key(kid)
        return self._keys

    def _fresh_enough(self, kid: str | None) -> bool:
        if self._keys is None:
            return False
        if kid is not None and kid not in self._kids:
            return False
        stale = self.clock() - self._fetched >= self.settings.max_age
        return not stale or not self._may_fetch()

    def _may_fetch(self) -> bool:
        return self.clock() - self._fetched >= self.settings.min_refresh

    async def _fetch(self) -> None:
        """Fetch the JWKS (finding it through discovery when no URL is set)."""
        self._fetched = self.clock()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(
                timeout=self.settings.timeout, transport=self.transport
            ) as client:
                url = self.settings.jwks_url or await self._discover(client)
                response = await client.get(url)
                response.raise_for_status()
                keys = KeySet.import_key_set(response.json())
        except httpx.TimeoutException:
            self._failure = f"no answer within {self.settings.timeout:g} s"
        except httpx.HTTPStatusError as error:
            self._failure = f"{error.request.url} answered {error.response.status_code}"
        except httpx.HTTPError as error:
            self._failure = f"{type(error).__name__} reaching the issuer"
        except (jose.JoseError, ValueError, TypeError, KeyError) as error:
            self._failure = f"the JWKS is not valid: {error}"
        else:
            self._keys = keys
            self._kids = frozenset(
                str(key.kid) for key in keys.keys if key.kid is not None
            )
            self._failure = None

    async def _discover(self, client: httpx.AsyncClient) -> str:
        """The jwks_uri of the issuer's discovery document."""
        return (await discover(client, self.settings.issuer, "jwks_uri"))["jwks_uri"]


async def discover(
    client: httpx.AsyncClient, issuer: str, *needed: str
) -> dict[str, str]:
    """The issuer's discovery document (OpenID Discovery 1.0), which must name
    the issuer itself and each `needed` endpoint; raise ValueError if not."""
    response = await client.get(issuer.rstrip("/") + DISCOVERY_PATH)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ValueError("the discovery document names another issuer")
    for name in needed:
        if not isinstance(document.get(name), str):
            raise ValueError(f"the discovery document has no {name}")
    return {k: v for k, v in document.items() if isinstance(v, str)}
