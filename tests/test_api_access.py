"""Who may read and change what, over HTTP: every query and mutation, every role.

The roles: the demo's program admin, auditor and participant (core's demo_tokens),
and an admin and a participant of another program. A refused read is null or left
out of a list, exactly like a missing object; a refused change is the NOT_FOUND an
unknown ID gets (FORBIDDEN for createProgram and registerPerson, which are about
no object yet); and nothing is recorded either way.

Mutations send input the domain refuses (an empty title, a rating of 9, ...): a
role that may run the command gets past the access check and meets that refusal,
so the matrix itself records nothing; test_api_mutations shows the commands work.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema
from mentorlog.core.access import credential_id
from mentorlog.core.commands.base import COMMANDS
from mentorlog.core.policy import (
    may_read_mentorship,
    may_read_person,
    may_read_program,
    roles_of,
)
from mentorlog.schema import sdl
from mentorlog.schema.roles import described, mutation_name, roles_table

from examples.local_issuer import Served as ServedIssuer
from mentorlog.settings import Settings
from tests.test_api_support import (  # noqa: F401
    SYSTEM_ACTOR,
    Api,
    Demo,
    api_fixture,
    bearer,
    build_demo,
    demo_fixture,
    gid,
    node_id,
)
from tests.test_oidc import (  # noqa: F401
    configured_api,
    oidc,
    served_issuer_fixture,
)

SYSTEM = "system:tests"
ACCESS_DOC = Path(__file__).resolve().parent.parent / "docs" / "access.md"
ROLES = ("admin", "auditor", "participant", "other_admin", "other_participant")
LONG = "x" * 5001
# IDs in messages: UUIDs, and the 12-hex IDs of objects inside a mentorship.
IDS = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{12}\b"
)
Input = Callable[[Demo], dict[str, Any]]


def _unknown(type_name: str) -> str:
    return gid(type_name, str(uuid.uuid4()))


def _unknown_scoped(type_name: str) -> str:
    return gid(type_name, f"{uuid.uuid4()}:{uuid.uuid4().hex[:12]}")


@dataclass(frozen=True)
class Case:
    """A mutation, input the domain refuses, and who may get as far as the domain."""

    name: str
    input: Input
    unknown: Input | None  # the same input aimed at IDs nobody has
    allowed: frozenset[str]
    allowed_code: str = "INVALID_INPUT"
    allowed_field: str = "personId"  # of an allowed_code NOT_FOUND


def _m(d: Demo) -> str:
    return d.node("Mentorship", "one_on_one")


def _goal(d: Demo) -> str:
    return d.scoped("Goal", "one_on_one", "goal")


def _program(d: Demo) -> str:
    return d.node("Program", "program")


def _sam(d: Demo) -> str:
    return d.node("Person", "sam")


ADMIN = frozenset({"admin"})
PARTICIPANT = frozenset({"participant"})
BOTH = frozenset({"admin", "participant"})
ANY_ADMIN = frozenset({"admin", "other_admin"})
UNKNOWN_M = {"mentorshipId": _unknown("Mentorship")}
UNKNOWN_G = {"goalId": _unknown_scoped("Goal")}
UNKNOWN_P = {"programId": _unknown("Program")}
UNKNOWN_W = {"webhookId": _unknown("WebhookEndpoint")}

CASES = [
    Case("createProgram", lambda d: {"name": ""}, None, ANY_ADMIN),
    Case(
        "registerPerson",
        lambda d: {
            "displayName": "",
            "careerStage": "MID",
            "yearsExperience": 1,
            "tenureYears": 1,
        },
        None,
        ANY_ADMIN,
    ),
    Case(
        "addStarterGoal",
        lambda d: {"programId": _program(d), "title": ""},
        lambda d: {"title": "", **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "setConnectionPlan",
        lambda d: {
            "programId": _program(d),
            "meetings": [{"title": "", "weekStart": 1, "weekEnd": 1}],
        },
        lambda d: {"meetings": [], **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "addProgramAdmin",
        lambda d: {"programId": _program(d), "personId": _unknown("Person")},
        lambda d: {"personId": _unknown("Person"), **UNKNOWN_P},
        ADMIN,
        allowed_code="NOT_FOUND",  # of the person: the program check was passed
    ),
    Case(
        "proposeMentorship",
        lambda d: {
            "programId": _program(d),
            "format": "one_on_one",
            "participants": [],
            "purpose": LONG,
        },
        lambda d: {"format": "one_on_one", "participants": [], **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "erasePerson",
        lambda d: {"personId": d.node("Person", "sam"), "reason": LONG},
        lambda d: {"personId": _unknown("Person")},
        ADMIN,
    ),
    Case(
        "issueToken",
        # For Ada, the admin token's own person (anyone else's token is refused),
        # of a program she does not administer (the command refuses).
        lambda d: {
            "personId": d.node("Person", "ada"),
            "role": "ADMIN",
            "programId": d.node("Program", "other_program"),
        },
        lambda d: {"personId": _unknown("Person"), "role": "ADMIN", **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "invitePerson",
        # Sam takes part already: a code would let its holder act as him.
        lambda d: {
            "personId": d.node("Person", "sam"),
            "role": "PARTICIPANT",
            "programId": _program(d),
        },
        lambda d: {"personId": _unknown("Person"), "role": "PARTICIPANT", **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "withdrawInvitation",
        # The demo's invitation is withdrawn already.
        lambda d: {"invitationId": d.node("Invitation", "invitation"), "reason": LONG},
        lambda d: {"invitationId": _unknown("Invitation"), "reason": LONG},
        ADMIN,
        allowed_code="INVALID_INPUT",
    ),
    Case(
        "createCalendarFeed",
        # Each non-auditor token gets as far as the program, which nobody has.
        lambda d: {"programId": _unknown("Program")},
        None,
        frozenset(ROLES) - {"auditor"},
        allowed_code="NOT_FOUND",
        allowed_field="programId",
    ),
    Case(
        "revokeCalendarFeed",
        lambda d: {"reason": LONG},
        None,
        frozenset(ROLES) - {"auditor"},
    ),
    Case(
        "revokeToken",
        lambda d: {
            "credentialId": str(credential_id(d.tokens["participant"])),
            "reason": LONG,
        },
        lambda d: {"credentialId": str(uuid.uuid4())},
        PARTICIPANT,  # one's own token
    ),
    Case(
        "startMentorship",
        lambda d: {"mentorshipId": _m(d)},
        lambda d: UNKNOWN_M,
        ADMIN,
        allowed_code="INVALID_TRANSITION",  # it is active already
    ),
    Case(
        "pauseMentorship",
        lambda d: {"mentorshipId": _m(d), "reason": LONG},
        lambda d: {"reason": "", **UNKNOWN_M},
        BOTH,
    ),
    Case(
        "resumeMentorship",
        lambda d: {"mentorshipId": _m(d)},
        lambda d: UNKNOWN_M,
        BOTH,
        allowed_code="INVALID_TRANSITION",
    ),
    Case(
        "completeMentorship",
        lambda d: {"mentorshipId": _m(d), "note": LONG},
        lambda d: UNKNOWN_M,
        BOTH,
    ),
    Case(
        "endMentorship",
        lambda d: {"mentorshipId": _m(d), "reason": ""},
        lambda d: {"reason": "", **UNKNOWN_M},
        BOTH,
    ),
    Case(
        "recordAgreement",
        lambda d: {
            "mentorshipId": _m(d),
            "communication": "",
            "confidentiality": "c",
            "schedule": "s",
            "outcomes": ["o"],
        },
        lambda d: {
            "communication": "",
            "confidentiality": "c",
            "schedule": "s",
            "outcomes": ["o"],
            **UNKNOWN_M,
        },
        PARTICIPANT,
    ),
    Case(
        "signAgreement",
        lambda d: {"mentorshipId": _m(d)},
        lambda d: UNKNOWN_M,
        PARTICIPANT,
        allowed_code="INVALID_TRANSITION",  # Sam signed already
    ),
    Case(
        "setGoal",
        lambda d: {"mentorshipId": _m(d), "title": ""},
        lambda d: {"title": "", **UNKNOWN_M},
        PARTICIPANT,
    ),
    Case(
        "reviseGoal",
        lambda d: {"goalId": _goal(d), "reason": LONG},
        lambda d: UNKNOWN_G,
        BOTH,
    ),
    Case(
        "recordGoalProgress",
        lambda d: {"goalId": _goal(d), "note": LONG},
        lambda d: UNKNOWN_G,
        PARTICIPANT,
    ),
    Case(
        "achieveGoal",
        lambda d: {"goalId": _goal(d), "note": LONG},
        lambda d: UNKNOWN_G,
        PARTICIPANT,
    ),
    Case(
        "abandonGoal",
        lambda d: {"goalId": _goal(d), "reason": ""},
        lambda d: {"reason": "", **UNKNOWN_G},
        BOTH,
    ),
    Case(
        "shareGoal",
        lambda d: {
            "goalId": d.scoped("Goal", "one_on_one", "private_goal"),
            "sharedWith": [],
        },
        lambda d: {"sharedWith": [], **UNKNOWN_G},
        PARTICIPANT,
        allowed_code="INVALID_TRANSITION",  # shared with nobody already
    ),
    Case(
        "writeNote",
        lambda d: {"mentorshipId": _m(d), "text": ""},
        lambda d: {"text": "", **UNKNOWN_M},
        PARTICIPANT,
    ),
    Case(
        "reviseNote",
        lambda d: {"noteId": d.scoped("Note", "one_on_one", "note"), "text": ""},
        lambda d: {"noteId": _unknown_scoped("Note"), "text": ""},
        PARTICIPANT,
    ),
    Case(
        "shareNote",
        lambda d: {
            "noteId": d.scoped("Note", "one_on_one", "private_note"),
            "sharedWith": [],
        },
        lambda d: {"noteId": _unknown_scoped("Note"), "sharedWith": []},
        PARTICIPANT,
        allowed_code="INVALID_TRANSITION",
    ),
    Case(
        "reachMilestone",
        lambda d: {"mentorshipId": _m(d), "title": ""},
        lambda d: {"title": "", **UNKNOWN_M},
        PARTICIPANT,
    ),
    Case(
        "celebrateMilestone",
        lambda d: {
            "milestoneId": d.scoped("Milestone", "one_on_one", "milestone"),
            "how": "",
        },
        lambda d: {"milestoneId": _unknown_scoped("Milestone"), "how": ""},
        PARTICIPANT,
    ),
    Case(
        "scheduleMeeting",
        lambda d: {
            "mentorshipId": _m(d),
            "scheduledFor": "2026-05-01T10:00:00Z",
            "durationMinutes": 1,
        },
        lambda d: {"scheduledFor": "2026-05-01T10:00:00Z", **UNKNOWN_M},
        PARTICIPANT,
    ),
    Case(
        "rescheduleMeeting",
        lambda d: {
            "meetingId": d.scoped("Meeting", "one_on_one", "meeting"),
            "scheduledFor": "2026-05-01T09:00:00Z",
            "timeZone": "Nowhere/At_All",
        },
        lambda d: {
            "meetingId": _unknown_scoped("Meeting"),
            "scheduledFor": "2026-05-01T09:00:00Z",
        },
        PARTICIPANT,
    ),
    Case(
        "holdMeeting",
        lambda d: {
            "meetingId": d.scoped("Meeting", "one_on_one", "meeting"),
            "durationMinutes": 0,
        },
        lambda d: {"meetingId": _unknown_scoped("Meeting")},
        PARTICIPANT,
    ),
    Case(
        "cancelMeeting",
        lambda d: {
            "meetingId": d.scoped("Meeting", "one_on_one", "meeting"),
            "reason": LONG,
        },
        lambda d: {"meetingId": _unknown_scoped("Meeting")},
        PARTICIPANT,
    ),
    Case(
        "recordReview",
        lambda d: {"mentorshipId": _m(d), "progressRating": 9},
        lambda d: {"progressRating": 3, **UNKNOWN_M},
        PARTICIPANT,
    ),
    Case(
        "giveFeedback",
        lambda d: {"mentorshipId": _m(d), "text": ""},
        lambda d: {"text": "", **UNKNOWN_M},
        BOTH,
    ),
    Case(
        "withdrawProposal",
        lambda d: {"mentorshipId": _m(d), "reason": LONG},
        lambda d: UNKNOWN_M,
        BOTH,
    ),
    Case(
        "declineProposal",
        lambda d: {"mentorshipId": _m(d), "reason": ""},
        lambda d: {"reason": "No.", **UNKNOWN_M},
        PARTICIPANT,
    ),
    # A program's intake (the demo's is open; Sam, the participant, is enrolled).
    Case(
        "configureIntake",
        lambda d: {"programId": _program(d), "isOpen": True, "requestDays": 0},
        lambda d: {"isOpen": True, **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "applyToProgram",
        lambda d: {
            "programId": _program(d),
            "personId": _sam(d),
            "side": "MENTEE",
            "answers": "not an object",
        },
        lambda d: {"personId": _sam(d), "side": "MENTEE", **UNKNOWN_P},
        BOTH,
    ),
    Case(
        "approveApplication",
        lambda d: {"programId": _program(d), "personId": _unknown("Person")},
        lambda d: {"personId": _unknown("Person"), **UNKNOWN_P},
        ADMIN,
        allowed_code="NOT_FOUND",  # of the application: the program check was passed
    ),
    Case(
        "declineApplication",
        lambda d: {"programId": _program(d), "personId": _sam(d), "reason": ""},
        lambda d: {"personId": _sam(d), "reason": "", **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "withdrawApplication",
        lambda d: {"programId": _program(d), "personId": _sam(d), "reason": LONG},
        lambda d: {"personId": _sam(d), **UNKNOWN_P},
        BOTH,
    ),
    Case(
        "requestMentor",
        lambda d: {
            "programId": _program(d),
            "menteeId": _sam(d),
            "mentorId": d.node("Person", "grace"),
            "message": LONG,
        },
        lambda d: {
            "menteeId": _sam(d),
            "mentorId": d.node("Person", "grace"),
            **UNKNOWN_P,
        },
        PARTICIPANT,
    ),
    Case(
        "acceptRequest",
        lambda d: {"programId": _program(d), "requestId": d.ids["request"]},
        lambda d: {"requestId": d.ids["request"], **UNKNOWN_P},
        PARTICIPANT,
        allowed_code="NOT_THE_MENTOR",  # the request is Noor's, to Tomás
    ),
    Case(
        "declineRequest",
        lambda d: {"programId": _program(d), "requestId": "x", "reason": ""},
        lambda d: {"requestId": "x", "reason": "", **UNKNOWN_P},
        PARTICIPANT,
    ),
    Case(
        "applyBulkMatch",
        lambda d: {"programId": _program(d), "idempotencyKey": LONG},
        lambda d: {"idempotencyKey": LONG, **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "registerWebhook",
        lambda d: {"programId": _program(d), "url": "ftp://example.com/hook"},
        lambda d: {"url": "ftp://example.com/hook", **UNKNOWN_P},
        ADMIN,
        allowed_code="WEBHOOK_URL_INVALID",
    ),
    # The demo has no endpoint: an admin gets past the program check to the ID's.
    *(
        Case(
            name,
            lambda d: UNKNOWN_W,
            lambda d: UNKNOWN_W,
            ADMIN,
            allowed_code="NOT_FOUND",
            allowed_field="webhookId",
        )
        for name in ("disableWebhook", "enableWebhook", "deleteWebhook")
    ),
    Case(
        "setNudgeRules",
        lambda d: {"programId": _program(d), "quietAfterDays": -3},
        lambda d: {"quietAfterDays": -3, **UNKNOWN_P},
        ADMIN,
    ),
    Case(
        "redeliverWebhook",
        lambda d: {**UNKNOWN_W, "positions": [1]},
        lambda d: {**UNKNOWN_W, "positions": [1]},
        ADMIN,
        allowed_code="NOT_FOUND",
        allowed_field="webhookId",
    ),
]


def _normal(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors with IDs blanked, to compare a refusal with an unknown ID's."""
    return [{**e, "message": IDS.sub("<id>", e["message"])} for e in errors]


async def _run(api: Api, case: Case, input: dict[str, Any], token: str) -> Any:
    type_name = case.name[0].upper() + case.name[1:]
    query = (
        f"mutation($input: {type_name}Input!) {{ {case.name}(input: $input) "
        "{ userErrors { field message code } } }"
    )
    response = await api.post(query, {"input": input}, token)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"][case.name]["userErrors"]


def _fields(type_name: str) -> set[str]:
    """The fields of a root type, as clients name them."""
    built = build_schema(sdl())
    root = built.mutation_type if type_name == "Mutation" else built.query_type
    assert root is not None
    return set(root.fields)


def test_every_mutation_is_in_the_matrix() -> None:
    assert _fields("Mutation") == {case.name for case in CASES}


def _command(mutation: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), mutation)


def test_each_mutation_says_who_may_run_it() -> None:
    """The SDL's descriptions end with the policy's words, naming each role."""
    built = build_schema(sdl())
    assert built.mutation_type is not None
    for name, field in built.mutation_type.fields.items():
        command = _command(name)
        assert mutation_name(command) == name
        assert (field.description or "").endswith(described(command)), name
        for role in roles_of(command):
            assert f"{role} token" in described(command), (name, role)
    for case in CASES:  # the matrix's roles that get past the access check
        roles = {"admin" if "admin" in r else "participant" for r in case.allowed}
        assert roles <= set(roles_of(_command(case.name))), case.name


def test_the_docs_list_who_may_run_each_mutation() -> None:
    assert roles_table(COMMANDS) in ACCESS_DOC.read_text(), (
        "docs/access.md's table is stale: paste roles_table(COMMANDS) "
        "(mentorlog.schema.roles) into it"
    )


VIEWER_MAY = "{ viewer { allowedMutations } }"


async def test_the_viewer_lists_the_mutations_its_token_may_run(
    api: Api, demo: Demo
) -> None:
    """What the viewer lists is what the matrix lets each role run (and revoking
    one's own token); an auditor's list is empty."""
    own = {"revokeToken", "issueToken"}  # OWN_COMMANDS
    admin = {c.name for c in CASES if "admin" in c.allowed} | own
    participant = {c.name for c in CASES if "participant" in c.allowed} | own
    expected = {
        "admin": admin,
        "other_admin": admin,
        "participant": participant,
        "other_participant": participant,
        "auditor": set(),
    }
    for role, names in expected.items():
        got = (await api.gql(VIEWER_MAY, token=demo.tokens[role]))["viewer"]
        assert got["allowedMutations"] == sorted(names), role


async def test_every_mutation_with_every_role(api: Api, demo: Demo) -> None:
    await _every_mutation_with_every_role(api, demo, CASES)


@pytest.mark.sqlite_only("the same rules; the kind of token is the point")
async def test_every_mutation_with_every_role_signed_in_through_the_provider(
    settings: Settings, served_issuer: ServedIssuer
) -> None:
    """The matrix again, each role's person signing in with the identity
    provider's JWT, in a grant of the role and program its token had."""
    issuer = served_issuer.issuer
    async with configured_api(settings, oidc(issuer)) as api:
        demo = build_demo(api.services.app)
        app = api.services.app
        jwts = {}
        for role, token in demo.tokens.items():
            held = app.authenticate(token)
            app.grant_role(
                actor=SYSTEM_ACTOR,
                person_id=held.person_id,
                role=held.role,
                program_id=held.program_id,
            )
            app.link_identity(
                actor=SYSTEM_ACTOR,
                issuer=issuer.base,
                subject=role,
                person_id=held.person_id,
            )
            jwts[role] = issuer.sign(sub=role)
        signed_in = Demo(demo.ids, jwts)
        # revokeToken's case revokes the participant's own mlg_ token.
        cases = [c for c in CASES if c.name != "revokeToken"]
        await _every_mutation_with_every_role(api, signed_in, cases)


async def _every_mutation_with_every_role(
    api: Api, demo: Demo, cases: Sequence[Case]
) -> None:
    await api.settle()
    head = api.head()
    for case in cases:
        for role in ROLES:
            token = demo.tokens[role]
            errors = await _run(api, case, case.input(demo), token)
            where = f"{case.name} as {role}: {errors}"
            assert errors, where
            codes = {e["code"] for e in errors}
            if role in case.allowed:
                assert codes == {case.allowed_code}, where
                if case.allowed_code == "NOT_FOUND":
                    assert {e["field"] for e in errors} == {case.allowed_field}, where
            elif case.unknown is None:
                assert codes == {"FORBIDDEN"}, where
            else:
                unknown = await _run(api, case, case.unknown(demo), token)
                assert [e["code"] for e in unknown] == ["NOT_FOUND"], unknown
                assert _normal(errors) == _normal(unknown), where
            assert api.head() == head, f"{where}: something was recorded"


# -- reads ---------------------------------------------------------------------------

ALL = frozenset(ROLES)
DEMO_PROGRAM = frozenset({"admin", "auditor", "participant"})
OTHER_PROGRAM = frozenset({"auditor", "other_admin", "other_participant"})


@dataclass(frozen=True)
class Read:
    """A query, and the roles that see something at `path` (others see null)."""

    name: str
    query: str
    variables: Callable[[Demo], dict[str, Any]]
    path: tuple[str | int, ...]
    visible: frozenset[str]


NODE = "query($id: ID!) { node(id: $id) { id } }"


def _inside(type_name: str, key: str) -> Callable[[Demo], dict[str, Any]]:
    """The variables naming an object inside the demo's one-on-one."""
    return lambda d: {"id": d.scoped(type_name, "one_on_one", key)}


READS = [
    Read(
        "webhook endpoint",
        NODE,
        lambda d: {"id": d.node("WebhookEndpoint", "webhook")},
        ("node",),
        ADMIN,
    ),
    Read(
        "webhook endpoints",
        "query($id: ID!) { webhookEndpoints(programId: $id) { url "
        "deliveries(first: 1) { edges { cursor } } } }",
        lambda d: {"id": _program(d)},
        ("webhookEndpoints", 0),
        ADMIN,
    ),
    Read(
        "invitation",
        NODE,
        lambda d: {"id": d.node("Invitation", "invitation")},
        ("node",),
        frozenset({"admin", "auditor"}),
    ),
    Read(
        "invitations",
        "query($id: ID!) { invitations(programId: $id, first: 5) "
        "{ edges { node { status person { id } } } } }",
        lambda d: {"id": _program(d)},
        ("invitations", "edges", 0),
        frozenset({"admin", "auditor"}),
    ),
    Read(
        "mentorship",
        "query($id: ID!) { mentorship(id: $id) { id } }",
        lambda d: {"id": _m(d)},
        ("mentorship",),
        DEMO_PROGRAM,
    ),
    Read(
        "mentorship as of now",
        "query($id: ID!, $at: DateTime) { mentorship(id: $id, asOf: $at) { id } }",
        lambda d: {"id": _m(d), "at": "2999-01-01T00:00:00Z"},
        ("mentorship",),
        DEMO_PROGRAM,
    ),
    Read(
        "history",
        "query($id: ID!) { mentorship(id: $id) { history { totalCount } } }",
        lambda d: {"id": _m(d)},
        ("mentorship",),
        DEMO_PROGRAM,
    ),
    # The log's feed shows a mentorship's events exactly to who reads its history.
    Read(
        "events",
        "query($id: ID!) { events(mentorshipId: $id, first: 1) "
        "{ edges { node { sequence } } } }",
        lambda d: {"id": _m(d)},
        ("events", "edges", 0),
        DEMO_PROGRAM,
    ),
    Read(
        "other program's events",
        "query($id: ID!) { events(mentorshipId: $id, first: 1) "
        "{ edges { node { sequence } } } }",
        lambda d: {"id": d.node("Mentorship", "other_mentorship")},
        ("events", "edges", 0),
        OTHER_PROGRAM,
    ),
    Read(
        "other program's mentorship",
        "query($id: ID!) { mentorship(id: $id) { id } }",
        lambda d: {"id": d.node("Mentorship", "other_mentorship")},
        ("mentorship",),
        OTHER_PROGRAM,
    ),
    *(
        Read(
            f"node {type_name}", NODE, _inside(type_name, key), ("node",), DEMO_PROGRAM
        )
        for type_name, key in (
            ("Goal", "goal"),
            ("Milestone", "milestone"),
            ("Meeting", "meeting"),
            ("Review", "review"),
            ("Feedback", "feedback"),
            ("Note", "note"),
        )
    ),
    Read(
        "program",
        "query($id: ID!) { program(id: $id) { id } }",
        lambda d: {"id": _program(d)},
        ("program",),
        DEMO_PROGRAM,
    ),
    Read(
        "program metrics",
        "query($id: ID!) { program(id: $id) { metrics { active } } }",
        lambda d: {"id": _program(d)},
        ("program", "metrics"),
        frozenset({"admin", "auditor"}),
    ),
    Read(
        "other program",
        "query($id: ID!) { program(id: $id) { id } }",
        lambda d: {"id": d.node("Program", "other_program")},
        ("program",),
        OTHER_PROGRAM,
    ),
    # People are the organisation's: every admin reads them all (core/policy.py).
    Read(
        "a participant",
        "query($id: ID!) { person(id: $id) { id } }",
        lambda d: {"id": d.node("Person", "sam")},
        ("person",),
        DEMO_PROGRAM | {"other_admin"},
    ),
    Read(
        "the program's admin",
        "query($id: ID!) { person(id: $id) { id } }",
        lambda d: {"id": d.node("Person", "ada")},
        ("person",),
        DEMO_PROGRAM | {"other_admin"},
    ),
    Read(
        "another program's participant",
        "query($id: ID!) { person(id: $id) { id } }",
        lambda d: {"id": d.node("Person", "rae")},
        ("person",),
        OTHER_PROGRAM | {"admin"},
    ),
    Read(
        "verify",
        "query($id: ID!) { verify(mentorshipId: $id) { ok } }",
        lambda d: {"id": _m(d)},
        ("verify",),
        frozenset({"auditor"}),
    ),
    Read(
        "verifyAll",
        "{ verifyAll { ok } }",
        lambda d: {},
        ("verifyAll",),
        frozenset({"auditor"}),
    ),
    Read("viewer", "{ viewer { role } }", lambda d: {}, ("viewer",), ALL),
    # Evidence, not content: every token reads the log's size and checkpoints.
    Read(
        "transparencyLog",
        "{ transparencyLog { size } }",
        lambda d: {},
        ("transparencyLog",),
        ALL,
    ),
    Read("formats", "{ formats { name } }", lambda d: {}, ("formats",), ALL),
    # The intake: its admins, auditors, and those who applied (Sam) read it.
    Read(
        "intake",
        "query($id: ID!) { intake(programId: $id) { isOpen } }",
        lambda d: {"id": _program(d)},
        ("intake",),
        DEMO_PROGRAM,
    ),
    Read(
        "other program's intake",
        "query($id: ID!) { intake(programId: $id) { isOpen } }",
        lambda d: {"id": d.node("Program", "other_program")},
        ("intake",),
        frozenset(),  # it has none
    ),
    Read(
        "suggestions for Sam",
        "query($p: ID!, $s: ID!) { matchSuggestions(programId: $p, personId: $s) "
        "{ suggestions { total } } }",
        lambda d: {"p": _program(d), "s": _sam(d)},
        ("matchSuggestions",),
        frozenset({"admin", "participant"}),
    ),
    Read(
        "bulkMatchPreview",
        "query($p: ID!) { bulkMatchPreview(programId: $p) { total } }",
        lambda d: {"p": _program(d)},
        ("bulkMatchPreview",),
        ADMIN,
    ),
]


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        if isinstance(key, int):  # an item of a list: None past its end
            data = data[key] if data is not None and len(data) > key else None
        else:
            data = data[key] if data is not None else None
    return data


def test_every_query_field_is_read_somewhere() -> None:
    read = " ".join(r.query for r in READS) + " ".join(LISTS.values())
    unread = {n for n in _fields("Query") if not re.search(rf"\b{n}\b", read)}
    assert unread == set()


async def test_every_query_with_every_role(api: Api, demo: Demo) -> None:
    await api.settle()
    head = api.head()
    for read in READS:
        for role in ROLES:
            data = await api.gql(read.query, read.variables(demo), demo.tokens[role])
            seen = _at(data, read.path) is not None
            assert seen == (role in read.visible), f"{read.name} as {role}: {data}"
    assert api.head() == head


LISTS = {
    "mentorships": "{ mentorships(first: 100) { edges { node { id program { id } "
    "participants { person { id } } } } } }",
    "programs": "{ programs(first: 100) { edges { node { id } } } }",
    "people": "{ people(first: 100) { edges { node { id } } } }",
    "goalFrameworks": "{ goalFrameworks { name } }",
    "nodes": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
}


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


async def test_lists_hold_exactly_what_the_policy_allows(api: Api, demo: Demo) -> None:
    """The SQL scopes of the read models agree with core/policy.py's predicates."""
    await api.settle()
    everything = {
        name: await api.gql(query, {"ids": []}, demo.tokens["auditor"])
        for name, query in LISTS.items()
    }
    mentorships = {
        node_id(m["id"]): (
            node_id(m["program"]["id"]),
            [node_id(p["person"]["id"]) for p in m["participants"]],
        )
        for m in _nodes(everything["mentorships"]["mentorships"])
    }
    programs = {node_id(p["id"]) for p in _nodes(everything["programs"]["programs"])}
    people = {node_id(p["id"]) for p in _nodes(everything["people"]["people"])}
    admins = {
        node_id(p["id"]): {node_id(a["id"]) for a in p["admins"]}
        for p in _nodes(
            (
                await api.gql(
                    "{ programs(first: 100) { edges { node { id admins { id } } } } }"
                )
            )["programs"]
        )
    }
    for role in ROLES:
        token = demo.tokens[role]
        principal = api.services.app.authenticate(token)
        readable = {
            m: facts
            for m, facts in mentorships.items()
            if may_read_mentorship(principal, *facts)
        }
        joined = {program for program, _ in readable.values()}
        seen_programs = {
            p for p in programs if may_read_program(principal, p, p in joined)
        }
        related = {person for _, people_in in readable.values() for person in people_in}
        related |= {a for p in seen_programs for a in admins[p]}
        seen_people = {p for p in people if may_read_person(principal, p, p in related)}
        got = {name: await api.gql(q, {"ids": []}, token) for name, q in LISTS.items()}
        assert {
            node_id(m["id"]) for m in _nodes(got["mentorships"]["mentorships"])
        } == set(readable), role
        assert {
            node_id(p["id"]) for p in _nodes(got["programs"]["programs"])
        } == seen_programs, role
        assert {
            node_id(p["id"]) for p in _nodes(got["people"]["people"])
        } == seen_people, role
        assert got["goalFrameworks"]["goalFrameworks"]
        # Only auditors read every mentorship; everyone reads some.
        assert 0 < len(readable) <= len(mentorships)
        assert (len(readable) == len(mentorships)) == (role == "auditor"), role


async def test_nested_lists_leave_out_what_is_not_readable(
    api: Api, demo: Demo
) -> None:
    """Sam sees his mentor, but not her other mentorship nor its mentee."""
    await api.settle()
    data = await api.gql(
        """query($grace: ID!, $kofi: ID!) {
          person(id: $grace) { mentorships { id } }
          kofi: person(id: $kofi) { id }
        }""",
        {"grace": demo.node("Person", "grace"), "kofi": demo.node("Person", "kofi")},
        demo.tokens["participant"],
    )
    assert data["person"]["mentorships"] == [{"id": _m(demo)}]
    assert data["kofi"] is None
    auditor = await api.gql(
        "query($grace: ID!) { person(id: $grace) { mentorships { id } } }",
        {"grace": demo.node("Person", "grace")},
        demo.tokens["auditor"],
    )
    assert len(auditor["person"]["mentorships"]) == 2


ACTIVE = """query($grace: ID!, $tomas: ID!) {
  grace: person(id: $grace) { activeMentorships }
  tomas: person(id: $tomas) { activeMentorships }
}"""


async def test_active_mentorships_count_only_what_the_viewer_may_read(
    api: Api, demo: Demo
) -> None:
    """Grace mentors Sam (paused) here and Tim in another program; Tomas runs the
    circle and the group. Completed and proposed mentorships count for nobody."""
    app = api.services.app
    elsewhere = app.propose_mentorship(
        actor=SYSTEM,
        program_id=demo.ids["other_program"],
        format="one_on_one",
        participants=[
            {"person_id": demo.ids["grace"], "role": "mentor"},
            {"person_id": demo.ids["tim"], "role": "mentee"},
        ],
    ).id
    app.start_mentorship(elsewhere, actor=SYSTEM)
    app.propose_mentorship(
        actor=SYSTEM,
        program_id=demo.ids["program"],
        format="one_on_one",
        participants=[
            {"person_id": demo.ids["grace"], "role": "mentor"},
            {"person_id": demo.ids["kofi"], "role": "mentee"},
        ],
    )
    app.pause_mentorship(demo.ids["one_on_one"], actor=SYSTEM, reason="Holidays")
    await api.settle()
    people = {
        "grace": demo.node("Person", "grace"),
        "tomas": demo.node("Person", "tomas"),
    }
    expected = {
        "auditor": (2, 2),  # every one: the people row's own count
        "admin": (1, 2),  # the demo program's: not Grace's mentee elsewhere
        "participant": (1, 1),  # Sam's own: not Grace's nor Tomas's others
        "partner": (2, None),  # Grace takes part in both of hers
        "other_admin": (1, 0),  # the other program's; Tomas is read, runs none
        "other_participant": (1, None),  # Tim's, with Grace
    }
    for role, (grace, tomas) in expected.items():
        data = await api.gql(ACTIVE, people, demo.tokens[role])
        seen = tuple(
            None if data[key] is None else data[key]["activeMentorships"]
            for key in ("grace", "tomas")
        )
        assert seen == (grace, tomas), role


async def test_active_mentorships_of_many_people_is_one_statement(
    api: Api, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.settle()
    read_db = api.app.state.read_db
    statements: list[str] = []
    fetch = read_db.fetch

    async def counting(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        statements.append(sql)
        return await fetch(sql, params)

    monkeypatch.setattr(read_db, "fetch", counting)
    data = await api.gql(
        "{ people(first: 100) { edges { node { id activeMentorships } } } }",
        token=demo.tokens["admin"],
    )
    counts = {
        node_id(e["node"]["id"]): e["node"]["activeMentorships"]
        for e in data["people"]["edges"]
    }
    assert len(counts) > 2 and counts[demo.ids["grace"]] == 1
    assert len(statements) == 2, statements  # the page, then every count at once


# -- private goals -------------------------------------------------------------------

GOALS = """query($id: ID!) { mentorship(id: $id) { goals {
  id private contentHidden title fields statusNote status progress owner { id }
} } }"""


@pytest.mark.parametrize("role", ["partner", "admin", "auditor"])
async def test_a_private_goal_shows_its_progress_but_not_its_content(
    api: Api, demo: Demo, role: str
) -> None:
    await api.settle()
    private = demo.scoped("Goal", "one_on_one", "private_goal")
    data = await api.gql(GOALS, {"id": _m(demo)}, demo.tokens[role])
    (goal,) = [g for g in data["mentorship"]["goals"] if g["id"] == private]
    assert goal["private"] is True and goal["contentHidden"] is True
    assert (goal["title"], goal["fields"], goal["statusNote"]) == (None, None, None)
    assert (goal["status"], goal["progress"]) == ("OPEN", 10.0)
    public = [g for g in data["mentorship"]["goals"] if g["id"] != private]
    assert public and all(g["title"] and not g["contentHidden"] for g in public)
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Goal { title contentHidden } } }",
        {"id": private},
        demo.tokens[role],
    )
    assert node["node"] == {"title": None, "contentHidden": True}


async def test_the_owner_reads_their_private_goal(api: Api, demo: Demo) -> None:
    await api.settle()
    private = demo.scoped("Goal", "one_on_one", "private_goal")
    data = await api.gql(GOALS, {"id": _m(demo)}, demo.tokens["participant"])
    (goal,) = [g for g in data["mentorship"]["goals"] if g["id"] == private]
    assert goal["contentHidden"] is False
    assert goal["title"] == "Negotiate a raise"
    assert goal["fields"] == {"description": "Before the review cycle, secretly"}


async def test_only_the_owner_changes_a_private_goal(api: Api, demo: Demo) -> None:
    """Sam's mentor may work on the mentorship's goals, but not on his private one."""
    await api.settle()
    head = api.head()
    private = demo.scoped("Goal", "one_on_one", "private_goal")
    unknown = gid("Goal", f"{demo.ids['one_on_one']}:{uuid.uuid4().hex[:12]}")
    case = Case("recordGoalProgress", lambda d: {}, None, PARTICIPANT)
    refused = await _run(
        api, case, {"goalId": private, "percent": 50}, demo.tokens["partner"]
    )
    missing = await _run(
        api, case, {"goalId": unknown, "percent": 50}, demo.tokens["partner"]
    )
    assert [(e["code"], e["field"]) for e in refused] == [("NOT_FOUND", "goalId")]
    assert _normal(refused) == _normal(missing)
    assert api.head() == head
    mine = await _run(
        api, case, {"goalId": private, "percent": 50}, demo.tokens["participant"]
    )
    assert mine == []
    assert api.head() > head


# -- people: the organisation's, read by every admin, strangers to participants -------

Naming = Callable[[Demo, str], dict[str, Any]]
# What a participant (Sam) may run that names a person, with that person's ID.
NAMING_A_PERSON: dict[str, Naming] = {
    "shareGoal": lambda d, p: {
        "goalId": d.scoped("Goal", "one_on_one", "private_goal"),
        "sharedWith": [p],
    },
    "shareNote": lambda d, p: {
        "noteId": d.scoped("Note", "one_on_one", "private_note"),
        "sharedWith": [p],
    },
    "giveFeedback": lambda d, p: {"mentorshipId": _m(d), "text": "Kind", "aboutId": p},
    "holdMeeting": lambda d, p: {
        "meetingId": d.scoped("Meeting", "one_on_one", "meeting"),
        "attended": [p],
    },
    "setGoal": lambda d, p: {
        "mentorshipId": _m(d),
        "title": "Mentor Tim",
        "framework": "plain",
        "fields": {"description": "Together"},
        "ownerId": p,
    },
}
PERSON_READS = """query($id: ID!) {
  person(id: $id) { id }
  node(id: $id) { id }
  nodes(ids: [$id]) { id }
  mentorships(first: 5, filter: {participantId: $id}) { edges { node { id } } }
}"""


async def test_another_programs_person_is_an_unknown_id_to_a_participant(
    api: Api, demo: Demo
) -> None:
    """Sam cannot read Tim (the other program's mentee): every mutation naming Tim
    answers what a made-up ID gets, every read shows what it shows; nothing is
    recorded."""
    await api.settle()
    head = api.head()
    tim, nobody = demo.node("Person", "tim"), _unknown("Person")
    for name, naming in NAMING_A_PERSON.items():
        case = Case(name, lambda d: {}, None, PARTICIPANT)
        token = demo.tokens["participant"]
        stranger = await _run(api, case, naming(demo, tim), token)
        unknown = await _run(api, case, naming(demo, nobody), token)
        assert stranger and _normal(stranger) == _normal(unknown), (name, stranger)
    seen = await api.gql(PERSON_READS, {"id": tim}, demo.tokens["participant"])
    assert seen == await api.gql(
        PERSON_READS, {"id": nobody}, demo.tokens["participant"]
    )
    assert seen["person"] is None and seen["mentorships"]["edges"] == []
    # An admin reads Tim, and changes only the people of their program.
    admin = demo.tokens["admin"]
    assert (await api.gql(PERSON_READS, {"id": tim}, admin))["person"] == {"id": tim}
    erase = Case("erasePerson", lambda d: {}, None, ADMIN)
    refused = await _run(api, erase, {"personId": tim}, admin)
    assert [e["code"] for e in refused] == ["NOT_FOUND"]
    assert _normal(refused) == _normal(
        await _run(api, erase, {"personId": nobody}, admin)
    )
    assert api.head() == head, "something was recorded"


PROPOSE = """mutation($input: ProposeMentorshipInput!) {
  proposeMentorship(input: $input) {
    mentorship { participants { role person { displayName } } }
    userErrors { field code message } } }"""
REGISTER = """mutation { registerPerson(input: {displayName: "Nia New",
  careerStage: EARLY, yearsExperience: 2, tenureYears: 1}) {
    person { id } userErrors { code } } }"""


async def test_an_admin_proposes_anyone_in_the_organisation(
    api: Api, demo: Demo
) -> None:
    """Ada proposes the other program's mentor and a person in no program yet; she
    reads both before and after; a made-up ID is NOT_FOUND and records nothing."""
    admin = demo.tokens["admin"]
    new = (await api.gql(REGISTER, token=admin))["registerPerson"]["person"]["id"]
    rae = demo.node("Person", "rae")
    await api.settle()
    people = await api.gql(LISTS["people"], token=admin)
    assert {rae, new} <= {n["id"] for n in _nodes(people["people"])}

    def proposal(mentee: str) -> dict[str, Any]:
        return {
            "input": {
                "programId": _program(demo),
                "format": "one_on_one",
                "participants": [
                    {"personId": rae, "role": "mentor"},
                    {"personId": mentee, "role": "mentee"},
                ],
            }
        }

    head = api.head()
    missing = (await api.gql(PROPOSE, proposal(_unknown("Person")), admin))[
        "proposeMentorship"
    ]
    assert missing["mentorship"] is None
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [
        ("NOT_FOUND", "participants")
    ]
    assert api.head() == head
    proposed = (await api.gql(PROPOSE, proposal(new), admin))["proposeMentorship"]
    assert proposed["userErrors"] == []
    assert proposed["mentorship"]["participants"] == [
        {"role": "mentor", "person": {"displayName": "Rae"}},
        {"role": "mentee", "person": {"displayName": "Nia New"}},
    ]


# Who opens a program's dashboard and its exports (the pages, mentorlog/web/).
DASHBOARDS = {
    "admin": {"program"},
    "other_admin": {"other_program"},
    "auditor": {"program", "other_program"},
    "participant": set(),
    "other_participant": set(),
    "partner": set(),
}


async def test_dashboards_and_exports_with_every_role(api: Api, demo: Demo) -> None:
    await api.settle()  # the demo was recorded after the app's projections started
    assert set(DASHBOARDS) == set(demo.tokens)
    for role, token in demo.tokens.items():
        for program in ("program", "other_program"):
            base = f"/programs/{demo.node('Program', program)}"
            for path in ("/dashboard", "/export/metrics.csv", "/export/goals.csv"):
                answer = await api.client.get(base + path, headers=bearer(token))
                expected = 200 if program in DASHBOARDS[role] else 404
                assert answer.status_code == expected, (role, program, path)
