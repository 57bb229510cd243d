"""Bearer tokens over HTTP: 401 without a good one, the actor is the token's person."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from mentorlog.core.access import credential_id
from mentorlog.core.history import history
from mentorlog.core.privacy import ERASED

from mentorlog.app import create_app
from mentorlog.cli import main
from mentorlog.settings import Settings
from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    bearer,
    demo_fixture,
    gid,
)

QUERY = "{ formats { name } }"
MUTATION = (
    "mutation($id: ID!) { recordReview(input: {mentorshipId: $id, progressRating: 4}) "
    "{ review { id } userErrors { code } } }"
)


def _unauthenticated(response: httpx.Response) -> str:
    """Check a 401 with a GraphQL-shaped UNAUTHENTICATED error; return its message."""
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert set(body) == {"errors"}
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    return str(error["message"])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer mlg_not-a-real-token"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"X-Mentorlog-Actor": "system:tests"},  # the old header names nobody now
    ],
)
async def test_every_operation_needs_a_good_token(
    api: Api, headers: dict[str, str]
) -> None:
    head = api.head()
    mentorship = gid("Mentorship", str(uuid.uuid4()))
    for body in (
        {"query": QUERY},
        {"query": MUTATION, "variables": {"id": mentorship}},
        {"query": "{ syntax error"},
    ):
        response = await api.client.post("/graphql", json=body, headers=headers)
        _unauthenticated(response)
    response = await api.client.get(
        "/graphql", params={"query": QUERY}, headers=headers
    )
    _unauthenticated(response)
    assert api.head() == head


async def test_a_revoked_token_is_refused(api: Api, demo: Demo) -> None:
    token = demo.tokens["participant"]
    assert (await api.post(QUERY, token=token)).status_code == 200
    api.services.app.revoke_token(
        str(credential_id(token)), actor="system:tests", reason="lost laptop"
    )
    message = _unauthenticated(await api.post(QUERY, token=token))
    assert "revoked" in message


async def test_a_token_of_an_erased_person_is_refused(api: Api, demo: Demo) -> None:
    token = demo.tokens["participant"]
    assert (await api.post(QUERY, token=token)).status_code == 200
    erased = await _mutate(
        api,
        "erasePerson",
        {"personId": demo.node("Person", "sam"), "reason": "asked to be forgotten"},
        demo.tokens["admin"],
    )
    assert erased["userErrors"] == []
    message = _unauthenticated(await api.post(QUERY, token=token))
    assert "erased" in message
    # Only the erased person's tokens stop: his mentor's still works.
    assert (await api.post(QUERY, token=demo.tokens["partner"])).status_code == 200


async def test_healthz_and_graphiql_need_no_token(api: Api) -> None:
    assert (await api.client.get("/healthz")).status_code == 200
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_the_actor_is_the_tokens_person(api: Api, demo: Demo) -> None:
    """A client cannot claim another actor: the old header is ignored."""
    await api.settle()
    mentorship = demo.node("Mentorship", "one_on_one")
    response = await api.post(
        MUTATION,
        {"id": mentorship},
        demo.tokens["participant"],
        headers={"X-Mentorlog-Actor": gid("Person", demo.ids["grace"])},
    )
    assert response.json()["data"]["recordReview"]["userErrors"] == []
    last = history(api.services.app, demo.ids["one_on_one"])[-1]
    assert (last.type, last.actor) == ("ReviewRecorded", f"person:{demo.ids['sam']}")


VIEWER = "{ viewer { role credentialId person { id } program { id } } }"


async def test_the_viewer_of_each_token(api: Api, demo: Demo) -> None:
    await api.settle()
    expected = {
        "admin": ("ADMIN", "ada", demo.node("Program", "program")),
        "auditor": ("AUDITOR", "mei", None),
        "participant": ("PARTICIPANT", "sam", None),
        "other_admin": ("ADMIN", "olu", demo.node("Program", "other_program")),
    }
    for role, (name, person, program) in expected.items():
        token = demo.tokens[role]
        viewer = (await api.gql(VIEWER, token=token))["viewer"]
        assert viewer == {
            "role": name,
            "credentialId": str(credential_id(token)),
            "person": {"id": demo.node("Person", person)},
            "program": {"id": program} if program else None,
        }


async def _mutate(api: Api, name: str, input: dict[str, Any], token: str) -> Any:
    selection = {
        "issueToken": "token credentialId",
        "revokeToken": "credentialId",
        "erasePerson": "person { id erased displayName }",
    }[name]
    return await api.mutate(name, input, selection, token)


async def test_a_token_issues_tokens_for_its_own_person_only(
    api: Api, demo: Demo
) -> None:
    await api.settle()
    admin = demo.tokens["admin"]
    program = demo.node("Program", "program")
    # For someone else: refused as an unknown person is, whatever the role.
    for role in ("PARTICIPANT", "ADMIN"):
        refused = await _mutate(
            api,
            "issueToken",
            {
                "personId": demo.node("Person", "priya"),
                "role": role,
                "programId": program,
            },
            admin,
        )
        assert refused["token"] is None
        assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
        assert refused["userErrors"][0]["field"] == "personId"
    # For herself: a second admin token of her program, which she may revoke.
    issued = await _mutate(
        api,
        "issueToken",
        {"personId": demo.node("Person", "ada"), "role": "ADMIN", "programId": program},
        admin,
    )
    assert issued["userErrors"] == []
    token = issued["token"]
    assert token.startswith("mlg_") and issued["credentialId"] == str(
        credential_id(token)
    )
    viewer = (await api.gql(VIEWER, token=token))["viewer"]
    assert viewer["role"] == "ADMIN"
    assert viewer["person"] == {"id": demo.node("Person", "ada")}
    assert viewer["program"] == {"id": program}
    # A participant token issues no admin token, even for its own person.
    sam = await _mutate(
        api,
        "issueToken",
        {"personId": demo.node("Person", "sam"), "role": "ADMIN", "programId": program},
        demo.tokens["participant"],
    )
    assert [e["code"] for e in sam["userErrors"]] == ["NOT_FOUND"]

    revoked = await _mutate(
        api, "revokeToken", {"credentialId": issued["credentialId"]}, admin
    )
    assert revoked == {"credentialId": issued["credentialId"], "userErrors": []}
    _unauthenticated(await api.post(QUERY, token=token))


PRIVATE_GOAL = (
    "query($id: ID!) { node(id: $id) { ... on Goal { title contentHidden } } }"
)


async def test_an_admin_reads_no_private_text_by_any_path_they_control(
    api: Api, demo: Demo
) -> None:
    """Sam's private goal: his admin reads it neither with her token nor with one
    she mints for Sam, nor by linking an identity to him (no mutation does)."""
    await api.settle()
    admin = demo.tokens["admin"]
    goal = {"id": demo.scoped("Goal", "one_on_one", "private_goal")}
    # Sam himself reads the private title; his admin gets it hidden.
    own = await api.gql(PRIVATE_GOAL, goal, demo.tokens["participant"])
    assert own["node"] == {"title": "Negotiate a raise", "contentHidden": False}
    hidden = await api.gql(PRIVATE_GOAL, goal, admin)
    assert hidden["node"] == {"title": None, "contentHidden": True}
    # She cannot mint Sam a token...
    minted = await _mutate(
        api,
        "issueToken",
        {
            "personId": demo.node("Person", "sam"),
            "role": "PARTICIPANT",
            "programId": demo.node("Program", "program"),
        },
        admin,
    )
    assert minted["token"] is None and minted["userErrors"]
    # ...nor invite him by a code she would hold, or by an email not his...
    for extra in ({}, {"email": "ada@example.test"}):
        invited = await api.mutate(
            "invitePerson",
            {
                "personId": demo.node("Person", "sam"),
                "role": "PARTICIPANT",
                "programId": demo.node("Program", "program"),
                **extra,
            },
            "code",
            admin,
        )
        assert invited["code"] is None and invited["userErrors"], extra
    # ...and nothing she may run links an identity or grants a role.
    mutations = (await api.gql("{ viewer { allowedMutations } }", token=admin))[
        "viewer"
    ]["allowedMutations"]
    assert not {"linkIdentity", "grantRole"} & set(mutations)
    schema = await api.gql("{ __schema { mutationType { fields { name } } } }")
    names = {f["name"] for f in schema["__schema"]["mutationType"]["fields"]}
    assert not {"linkIdentity", "unlinkIdentity", "grantRole", "revokeGrant"} & names


async def test_anyone_but_an_auditor_revokes_their_own_token(
    api: Api, demo: Demo
) -> None:
    await api.settle()
    for role in ("participant", "other_admin"):
        token = demo.tokens[role]
        own = {"credentialId": str(credential_id(token)), "reason": "done"}
        revoked = await _mutate(api, "revokeToken", own, token)
        assert revoked["userErrors"] == []
        _unauthenticated(await api.post(QUERY, token=token))
    auditor = demo.tokens["auditor"]
    own = {"credentialId": str(credential_id(auditor))}
    refused = await _mutate(api, "revokeToken", own, auditor)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]


async def test_an_admin_erases_a_person_of_their_program(api: Api, demo: Demo) -> None:
    await api.settle()
    erased = await _mutate(
        api,
        "erasePerson",
        {"personId": demo.node("Person", "sam"), "reason": "asked to be forgotten"},
        demo.tokens["admin"],
    )
    assert erased["userErrors"] == []
    assert erased["person"]["erased"] is True
    assert erased["person"]["displayName"] == ERASED
    assert api.services.app.sealer.keys.get(demo.ids["sam"]) is None
    # His private goal cannot be opened by anyone now, not even through history.
    response = await api.post(
        "query($id: ID!) { mentorship(id: $id) { history(first: 100) { edges { node "
        "{ ... on GoalSet { title } } } } } }",
        {"id": demo.node("Mentorship", "one_on_one")},
    )
    assert "Negotiate a raise" not in response.text and '"nonce"' not in response.text


async def test_the_cli_demo_tokens_work_against_the_api(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--data", str(data)])
    assert result.exit_code == 0, result.output
    tokens = json.loads((data / "demo-tokens.json").read_text())
    assert set(tokens) == {"admin", "auditor", "participant"}
    app = create_app(Settings(data_dir=data, poll_interval=0.05))
    roles = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for role, token in tokens.items():
                response = await c.post(
                    "/graphql", json={"query": VIEWER}, headers=bearer(token)
                )
                roles[role] = response.json()["data"]["viewer"]["role"]
    assert roles == {
        "admin": "ADMIN",
        "auditor": "AUDITOR",
        "participant": "PARTICIPANT",
    }
