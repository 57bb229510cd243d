"""A local OpenID issuer for trying mentorlog's sign-in: discovery, JWKS, tokens.

It serves what a resource server reads from a provider (the discovery document at
/.well-known/openid-configuration and the keys at /jwks) with keys generated when
it starts, and signs ID-token-shaped JWTs for whoever asks: it is for tests and
trying things on one machine, never for signing anyone in.

    python examples/local_issuer.py --port 8765 &
    curl -s 'http://127.0.0.1:8765/token?sub=ada&aud=mentorlog'

`/token` takes `sub`, `aud`, `email`, `ttl` (seconds) and prints a token.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from typing import Any

import uvicorn
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


class LocalIssuer:
    """An issuer's keys and documents; `mode` makes its JWKS down or slow."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.keys = [
            RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"}),
            ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"}),
        ]
        self.mode = "up"  # "down": the JWKS answers 503; "slow": it answers late
        self.delay = 10.0  # seconds a slow JWKS takes
        self.jwks_requests = 0
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/token", self.token_endpoint),
            ]
        )

    def add_key(self, kid: str) -> ECKey:
        """Rotate in a new key (published from the next JWKS request on)."""
        key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig"})
        self.keys.append(key)
        return key

    def public_jwks(self) -> dict[str, Any]:
        """The keys as the JWKS publishes them: public parts only."""
        return KeySet(list(self.keys)).as_dict(private=False)

    def sign(
        self,
        claims: dict[str, Any] | None = None,
        kid: str = "rsa-1",
        alg: str | None = None,
        **overrides: Any,
    ) -> str:
        """A token with sensible claims (overridden by `claims` and `overrides`)."""
        now = int(time.time())
        body = {
            "iss": self.base,
            "sub": "ada",
            "aud": "mentorlog",
            "iat": now,
            "exp": now + 300,
            **(claims or {}),
            **overrides,
        }
        key = next(k for k in self.keys if k.kid == kid)
        header = {"alg": alg or ("RS256" if key.key_type == "RSA" else "ES256")}
        header["kid"] = kid
        return jwt.encode(header, body, key)

    async def discovery(self, request: Request) -> Response:
        """The OpenID Provider metadata a resource server reads."""
        return JSONResponse(
            {
                "issuer": self.base,
                "jwks_uri": f"{self.base}/jwks",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["id_token"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        """The public keys; down or slow on demand."""
        self.jwks_requests += 1
        if self.mode == "down":
            return PlainTextResponse("unavailable", status_code=503)
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        return JSONResponse(self.public_jwks())

    async def token_endpoint(self, request: Request) -> Response:
        """A token for ?sub=&aud=&email=&ttl= (email counted as verified)."""
        query = request.query_params
        claims: dict[str, Any] = {
            "sub": query.get("sub", "ada"),
            "aud": query.get("aud", "mentorlog"),
            "exp": int(time.time()) + int(query.get("ttl", "300")),
        }
        if "email" in query:
            claims.update(email=query["email"], email_verified=True)
        return PlainTextResponse(self.sign(claims) + "\n")


class Served:
    """A LocalIssuer served by uvicorn in a thread on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.issuer = LocalIssuer(f"http://127.0.0.1:{port}")
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.issuer.app, host="127.0.0.1", port=port, log_level="warning"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, wait: float = 10.0) -> None:
        """Start serving; return once the socket listens."""
        self.thread.start()
        deadline = time.monotonic() + wait
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the local issuer did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving."""
        self.server.should_exit = True
        self.thread.join(10)


def main() -> None:
    """Serve a local issuer until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    issuer = LocalIssuer(f"http://127.0.0.1:{port}")
    uvicorn.run(issuer.app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
