"""The intake over the API: self-service enrolment, who sees whose answers, requests."""

from __future__ import annotations

from datetime import UTC, datetime
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
    await api.settle()  # the demo was recorded after the app's projections started
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
    await api.settle()  # the demo was recorded after the app's projections started
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


MESSAGE = "Could you help me move into product?"  # Noor's request to Tomás
READS = """query ($p: ID!, $m: ID!, $at: DateTime) {
  intake(programId: $p) {
    enrolments(first: 50) { edges { node { answers person { id } } } }
    requests { message mentee { id } } }
  now: mentorship(id: $m) { purpose
    history(first: 1) { edges { node { ... on MentorshipProposed { purpose } } } } }
  then: mentorship(id: $m, asOf: $at) { purpose }
  events(mentorshipId: $m, types: [MENTORSHIP_PROPOSED]) {
    edges { node { ... on MentorshipProposed { purpose } } } } }"""


async def _reads(api: Api, demo: Demo, mentorship: str, at: str) -> dict[str, Any]:
    """What the admin reads of Noor: answers, message, and the purpose it became."""
    variables = {"p": demo.node("Program", "program"), "m": mentorship, "at": at}
    data = await api.gql(READS, variables, demo.tokens["admin"])
    noor = demo.ids["noor"]
    (answers,) = [
        e["node"]["answers"]
        for e in data["intake"]["enrolments"]["edges"]
        if node_id(e["node"]["person"]["id"]) == noor
    ]
    (message,) = [
        r["message"]
        for r in data["intake"]["requests"]
        if node_id(r["mentee"]["id"]) == noor
    ]
    proposed = data["now"]["history"]["edges"][0]["node"]
    (logged,) = [e["node"]["purpose"] for e in data["events"]["edges"]]
    export = await api.client.get(
        f"/programs/{demo.node('Program', 'program')}/export/mentorships.csv",
        headers={"Authorization": f"Bearer {demo.tokens['admin']}"},
    )
    assert export.status_code == 200
    return {
        "answers": answers,
        "message": message,
        "purposes": {
            data["now"]["purpose"],
            proposed["purpose"],
            data["then"]["purpose"],
            logged,
        },
        "exported": MESSAGE in export.text,
    }


async def test_an_erased_applicants_answers_and_message_are_gone_from_every_read(
    api: Api, demo: Demo
) -> None:
    """Sealed with Noor's key: read before, "[erased]" after, the chain intact."""
    program = demo.node("Program", "program")
    tomas = api.token(demo.ids["tomas"])
    accepted = await api.mutate(
        "acceptRequest",
        {"programId": program, "requestId": demo.ids["request"]},
        "mentorship { id purpose }",
        tomas,
    )
    assert accepted["mentorship"]["purpose"] == MESSAGE, accepted
    mentorship = accepted["mentorship"]["id"]
    await api.settle()
    assert (await api.gql("{ verifyAll { ok } }"))["verifyAll"]["ok"]  # an auditor
    at = datetime.now(UTC).isoformat()
    assert await _reads(api, demo, mentorship, at) == {
        "answers": {"goals": ["Move into product"], "availability": ["mon-am"]},
        "message": MESSAGE,
        "purposes": {MESSAGE},
        "exported": True,
    }
    erased = await api.mutate(
        "erasePerson",
        {"personId": demo.node("Person", "noor")},
        "person { erased }",
        demo.tokens["admin"],
    )
    assert erased == {"person": {"erased": True}, "userErrors": []}
    await api.settle()
    assert await _reads(api, demo, mentorship, at) == {
        "answers": {},
        "message": "[erased]",
        "purposes": {"[erased]"},
        "exported": False,
    }
    assert (await api.gql("{ verifyAll { ok } }"))["verifyAll"]["ok"]
