"""The server-rendered pages: sign-in, a home page, the auditor's timeline."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mentorlog.core.access import Principal
from mentorlog.core.errors import Unauthenticated
from mentorlog.schema import ids
from mentorlog.web import session
from mentorlog.web.reading import ReadFailed, description_of, in_words, read
from mentorlog.web.templating import templates

HISTORY_PAGE = 100


def render(
    request: Request,
    name: str,
    status: int = 200,
    principal: Principal | None = None,
    **values: Any,
) -> HTMLResponse:
    """A page from its template; every value is escaped."""
    body = templates.get_template(name).render(
        csrf=session.csrf_value(request),
        csrf_field=session.CSRF_FIELD,
        principal=principal,
        **values,
    )
    response = HTMLResponse(body, status_code=status)
    response.headers["cache-control"] = "no-store"
    session.remember_csrf(request, response)
    return response


def to_sign_in(request: Request) -> Response:
    """Send a visitor without a session to the sign-in page, then back here."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(back)}", status_code=303)


def not_found(request: Request, principal: Principal) -> HTMLResponse:
    """The same answer for what does not exist and what the viewer may not read."""
    return render(
        request,
        "error.html",
        404,
        principal,
        title="Not found",
        message="Nothing with that ID, or nothing your token may read.",
    )


def safe_next(value: str | None) -> str:
    """A local path to go back to after signing in (never another site)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def provider_name(request: Request) -> str | None:
    """The name on the provider's sign-in button; None when it is not set up."""
    settings = request.app.state.services.settings
    if settings.oidc is None or settings.oidc_client is None:
        return None
    name: str = settings.oidc_client.name
    return name


async def sign_in_page(request: Request) -> Response:
    """GET /signin: the provider's sign-in button (if set up), the token form."""
    principal = await session.principal_of(request)
    return render(
        request,
        "signin.html",
        principal=principal,
        next=safe_next(request.query_params.get("next")),
        provider=provider_name(request),
    )


async def sign_in(request: Request) -> Response:
    """POST /signin: check the CSRF field and the token; keep it in the session."""
    form = await request.form()
    back = safe_next(str(form.get("next") or ""))
    if not session.csrf_ok(request, form.get(session.CSRF_FIELD)):
        return render(
            request,
            "signin.html",
            403,
            next=back,
            provider=provider_name(request),
            error="The form expired; sign in again.",
        )
    token = str(form.get("token") or "")
    try:
        await session.check_token(request, token)
    except Unauthenticated as refused:
        return render(
            request,
            "signin.html",
            401,
            next=back,
            provider=provider_name(request),
            error=refused.message,
        )
    response = RedirectResponse(back, status_code=303)
    session.sign_in(request, response, token)
    return response


async def sign_out(request: Request) -> Response:
    """POST /signout: forget the session (CSRF-checked)."""
    form = await request.form()
    if not session.csrf_ok(request, form.get(session.CSRF_FIELD)):
        principal = await session.principal_of(request)
        return render(
            request,
            "error.html",
            403,
            principal,
            title="Not signed out",
            message="The form expired; reload the page and sign out again.",
        )
    response = RedirectResponse("/signin", status_code=303)
    session.sign_out(response)
    return response


HOME = """
query Home {
  viewer { role person { displayName } program { id name } }
  programs(first: 100) { edges { node { id name } } }
  mentorships(first: 100) {
    edges { node { id status purpose formatName program { id name }
      participants { role person { displayName erased } } } }
  }
}
"""


async def home(request: Request) -> Response:
    """GET /: where to go: the dashboards, the timelines, GraphiQL."""
    principal = await session.principal_of(request)
    if principal is None:
        return to_sign_in(request)
    data = await read(request, principal, HOME)
    return render(
        request,
        "home.html",
        principal=principal,
        viewer=data["viewer"],
        programs=[e["node"] for e in data["programs"]["edges"]],
        mentorships=[e["node"] for e in data["mentorships"]["edges"]],
        dashboards=principal.role in ("admin", "auditor"),
    )


TIMELINE = """
query Timeline($id: ID!, $after: String, $first: Int!) {
  mentorship(id: $id) {
    id status purpose formatName createdAt
    program { id name }
    participants { role person { displayName erased } }
    history(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        __typename sequence occurredAt hash contentHidden
        actor { system person { displayName erased } }
      } }
    }
  }
}
"""
AS_OF = """
query AsOf($id: ID!, $at: DateTime!) {
  mentorship(id: $id, asOf: $at) {
    status statusReason
    goals { title status contentHidden }
    meetings { status }
    milestones { title }
  }
}
"""
EVIDENCE = """
query Evidence($id: ID!) {
  verify(mentorshipId: $id) { ok events digest brokenAt reason }
  transparencyLog {
    size rootHash origin
    checkpoints { size rootHash signedAt }
  }
}
"""


async def timeline(request: Request) -> Response:
    """GET /mentorships/{id}/timeline[?at=N]: every event, and the state as of one."""
    principal = await session.principal_of(request)
    if principal is None:
        return to_sign_in(request)
    mentorship_id = request.path_params["mentorship_id"]
    parsed = ids.parse_global_id(mentorship_id)
    if parsed is None or parsed[0] != "Mentorship":
        return not_found(request, principal)
    events: list[dict[str, Any]] = []
    after: str | None = None
    mentorship: dict[str, Any] | None = None
    while True:
        data = await read(
            request,
            principal,
            TIMELINE,
            {"id": mentorship_id, "after": after, "first": HISTORY_PAGE},
        )
        mentorship = data["mentorship"]
        if mentorship is None:
            return not_found(request, principal)
        page = mentorship["history"]
        events.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    for event in events:
        event["words"] = in_words(event["__typename"])
        event["description"] = description_of(request, event["__typename"])
    at = _sequence(request.query_params.get("at"), len(events))
    as_of = None
    if at is not None:
        moment = events[at - 1]["occurredAt"]
        as_of = (
            await read(request, principal, AS_OF, {"id": mentorship_id, "at": moment})
        )["mentorship"]
    evidence = await read(request, principal, EVIDENCE, {"id": mentorship_id})
    checkpoints = evidence["transparencyLog"]["checkpoints"]
    return render(
        request,
        "timeline.html",
        principal=principal,
        mentorship=mentorship,
        events=events,
        at=at,
        as_of=as_of,
        verification=evidence["verify"],
        log=evidence["transparencyLog"],
        checkpoint=checkpoints[-1] if checkpoints else None,
        bundle=f"/audit/bundles/{mentorship_id}",
    )


def _sequence(value: str | None, count: int) -> int | None:
    """The ?at= sequence when it names one of the events; else None."""
    if value is None or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= count else None


async def read_failed(request: Request, error: Exception) -> Response:
    """A read the API refused: the page says why, with the API's code."""
    assert isinstance(error, ReadFailed)
    principal = await session.principal_of(request)
    return render(
        request,
        "error.html",
        400 if error.code == "BAD_USER_INPUT" else 503,
        principal,
        title="Could not read that",
        message=f"{error.message} ({error.code})",
    )


ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/signin", sign_in_page, methods=["GET"]),
    Route("/signin", sign_in, methods=["POST"]),
    Route("/signout", sign_out, methods=["POST"]),
    Route("/mentorships/{mentorship_id}/timeline", timeline, methods=["GET"]),
]
