"""POST /invitations/redeem: an invitation's one-time code for a bearer token.

The one request that needs no token: whoever holds the code redeems it once, and
only they see the token it yields. The body is `{"code": "mlgi_..."}`; the answer
`{"token": "mlg_...", "credentialId": "..."}`, or 400 with a GraphQL-shaped error
(`INVALID_INPUT`: unknown, redeemed or expired) and nothing recorded.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mentorlog.core.errors import MentorlogError
from mentorlog.services import Services

MAX_BODY = 4096
REDEEMER = "system:invitations"  # how a redemption came, recorded with it


def _refused(message: str, code: str = "BAD_REQUEST", status: int = 400) -> Response:
    error = {"message": message, "extensions": {"code": code, "field": "code"}}
    return JSONResponse({"errors": [error]}, status_code=status)


async def redeem(request: Request) -> Response:
    """Redeem a code; the token is in this answer only."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refused(f"the body is larger than {MAX_BODY} bytes", status=413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refused('send {"code": "..."} as JSON')
    code = data.get("code") if isinstance(data, dict) else None
    if not isinstance(code, str):
        return _refused('send {"code": "..."} as JSON')
    services: Services = request.app.state.services
    try:
        token, recorded = await asyncio.to_thread(
            services.app.redeem_invitation, actor=REDEEMER, code=code
        )
    except MentorlogError as error:
        return _refused(error.message, error.code)
    return JSONResponse(
        {"token": token, "credentialId": recorded.id},
        headers={"Cache-Control": "no-store"},
    )
