"""Erasing people over the API: never one's own person, never a program's last admin."""

from __future__ import annotations

from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    demo_fixture,
    node_id,
)

ERASED = "person { erased displayName }"
VIEWER = "{ viewer { person { displayName } } }"


async def _refused(api: Api, token: str, person: str, code: str) -> str:
    """Erase a person and expect one refusal with this code; nothing is recorded."""
    head = api.head()
    payload = await api.mutate("erasePerson", {"personId": person}, ERASED, token)
    assert payload["person"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        (code, "personId")
    ], payload
    assert api.head() == head, "something was recorded"
    return str(payload["userErrors"][0]["message"])


async def test_an_admin_does_not_erase_themselves(api: Api, demo: Demo) -> None:
    admin = demo.tokens["admin"]
    message = await _refused(
        api, admin, demo.node("Person", "ada"), "CANNOT_ERASE_SELF"
    )
    assert "another admin" in message
    assert (await api.gql(VIEWER, token=admin))["viewer"]["person"] == {
        "displayName": "Ada Okafor"
    }


async def test_a_programs_last_admin_is_not_erased(api: Api, demo: Demo) -> None:
    """Olu joins the demo program's admins; he is still the Design Guild's only one."""
    admin = demo.tokens["admin"]
    olu = demo.node("Person", "olu")
    added = await api.mutate(
        "addProgramAdmin",
        {"programId": demo.node("Program", "program"), "personId": olu},
        "program { id }",
        admin,
    )
    assert added["userErrors"] == []
    message = await _refused(api, admin, olu, "LAST_ADMIN")
    assert message == (
        "Olu is the last admin of program 'Design Guild': make someone else its "
        "admin first"
    )
    # Another admin of the program erases an admin who is not the last one.
    # Olu's own admin token for the demo program, minted as the operator does.
    olus = {"token": api.token(node_id(olu), "admin", demo.ids["program"])}
    erased = await api.mutate(
        "erasePerson", {"personId": demo.node("Person", "ada")}, ERASED, olus["token"]
    )
    assert erased["userErrors"] == []
    assert erased["person"]["erased"] is True
    assert (await api.post(VIEWER, token=admin)).status_code == 401
    # Olu is now the last admin who can act in both programs.
    await _refused(api, olus["token"], olu, "CANNOT_ERASE_SELF")
