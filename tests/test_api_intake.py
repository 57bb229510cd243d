"""The intake over the API: self-service enrolment, who sees whose answers, requests."""

from __future__ import annotations

from typing import Any

from tests.test_api_support import (  # noqa: F401
    Api,
    Demo,
    api_fixture,
    demo_fixture,
    node_id,
)

ENROLMENTS = """query ($p: ID!) { intake(programId: $p) {
  enrolments(first: 50) { edges { node { side status answers person { id } } } } } }"""


async def _enrolments(api: Api, demo: Demo, token: str) -> dict[str, dict[str, Any]]:
    data = await api.gql(ENROLMENTS, {"p": demo.node("Program", "program")}, token)
    edges = data["intake"]["enrolments"]["edges"]
    return {node_id(e["node"]["person"]["id"]): e["node"] for e in edges}


async def test_a_participant_applies_and_then_sees_mentors_never_other_mentees(
    api: Api, demo: Demo
) -> None:
    program, tim = demo.node("Program", "program"), demo.ids["tim"]
    ids = demo.ids
    everyone = await _enrolments(api, demo, demo.tokens["admin"])
    assert everyone[ids["sam"]]["answers"]["about"] == "Backend engineer, two years in."
    assert everyone[ids["ben"]]["status"] == "WAITLISTED"
    assert everyone[ids["yusuf"]]["status"] == "APPLIED"
    # Tim, of another program, knows nothing of this intake yet.
    assert (
        await api.gql(ENROLMENTS, {"p": program}, demo.tokens["other_participant"])
    )["intake"] is None
    applied = await api.mutate(
        "applyToProgram",
        {
            "programId": program,
            "personId": demo.node("Person", "tim"),
            "side": "MENTEE",
            "answers": {"interests": ["system design"], "availability": ["tue-pm"]},
        },
        "enrolment { status }",
        demo.tokens["other_participant"],
    )
    assert applied == {"enrolment": {"status": "APPLIED"}, "userErrors": []}
    again = await api.mutate(
        "applyToProgram",
        {
            "programId": program,
            "personId": demo.node("Person", "tim"),
            "side": "MENTOR",
        },
        "enrolment { status }",
        demo.tokens["other_participant"],
    )
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_APPLIED"]
    # Applied, not enrolled: only his own application.
    assert set(await _enrolments(api, demo, demo.tokens["other_participant"])) == {tim}
    # The mentee places are full: the admin's approval waitlists him, after Ben.
    approved = await api.mutate(
        "approveApplication",
        {"programId": program, "personId": demo.node("Person", "tim")},
        "enrolment { status }",
        demo.tokens["admin"],
    )
    assert approved["enrolment"] == {"status": "WAITLISTED"}
    # Sam, enrolled, sees himself and the enrolled mentors; no other mentee.
    seen = await _enrolments(api, demo, demo.tokens["participant"])
    mentors = {ids["grace"], ids["tomas"], ids["mei"]}
    assert set(seen) == {ids["sam"]} | mentors
    assert seen[ids["grace"]]["answers"] == {
        "skills": ["system design"],
        "availability": ["tue-pm"],
    }


async def test_suggestions_and_requests_over_the_api(api: Api, demo: Demo) -> None:
    program = demo.node("Program", "program")
    query = """query ($p: ID!, $me: ID!) {
      matchSuggestions(programId: $p, personId: $me) {
      suggestions { total mentor { id } contributions { name explanation } }
      userErrors { code } } }"""
    sam = {"p": program, "me": demo.node("Person", "sam")}
    found = (await api.gql(query, sam, demo.tokens["participant"]))["matchSuggestions"]
    assert found["userErrors"] == []
    totals = [s["total"] for s in found["suggestions"]]
    assert totals == sorted(totals, reverse=True) and totals
    best = found["suggestions"][0]
    assert node_id(best["mentor"]["id"]) == demo.ids["grace"]
    assert any(c["name"] == "availability" for c in best["contributions"])
    # Another participant's suggestions, or a mentor's mentees, are not Sam's to see.
    grace = {"p": program, "me": demo.node("Person", "grace")}
    assert (await api.gql(query, grace, demo.tokens["participant"]))[
        "matchSuggestions"
    ] is None
    refused = (await api.gql(query, grace, demo.tokens["partner"]))["matchSuggestions"]
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    # Sam has no place free; Noor's request to Tomás is pending, and only he answers.
    request = {"programId": program, "requestId": demo.ids["request"]}
    wrong = await api.mutate(
        "acceptRequest", request, "mentorship { id }", demo.tokens["partner"]
    )
    assert [e["code"] for e in wrong["userErrors"]] == ["NOT_THE_MENTOR"]
    requests = await api.gql(
        "query ($p: ID!) { intake(programId: $p) { requests { status message "
        "mentee { displayName } mentor { displayName } } } }",
        {"p": program},
        demo.tokens["admin"],
    )
    assert {
        (r["mentee"]["displayName"], r["mentor"]["displayName"], r["status"])
        for r in requests["intake"]["requests"]
    } == {
        ("Noor Haddad", "Tomás Herrera", "PENDING"),
        ("Ravi Patel", "Mei Tanaka", "PENDING"),
    }
