"""The transparency log over GraphQL: what a client reads checks out with the
standalone verifier's functions; impossible proofs are coded errors."""

from __future__ import annotations

import base64

from mentorlog.core.verify_bundle import (
    VerifierKey,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)

from tests.test_api_support import Api, api_fixture  # noqa: F401

LOG = """{ transparencyLog { size rootHash origin publicKey
  checkpoints { size rootHash signedAt note } } }"""
PROOF = """query($from: Int!, $to: Int) { transparencyLog {
  consistencyProof(fromSize: $from, toSize: $to) {
    fromSize toSize fromRoot toRoot hashes } } }"""


async def test_checkpoints_and_proofs_check_out(api: Api) -> None:
    first = api.services.checkpoints.sign()
    newcomer = api.services.app.register_person(
        actor="system:tests",
        display_name="Newcomer",
        career_stage="early",
        years_experience=1,
        tenure_years=1,
    ).id
    log = (await api.gql(LOG))["transparencyLog"]
    key = VerifierKey.parse(log["publicKey"])
    assert key.name == log["origin"]
    assert log["size"] == first.checkpoint.size + 1
    (kept,) = log["checkpoints"]
    assert kept["note"] == first.note and kept["signedAt"]
    checkpoint = open_checkpoint(kept["note"], key)
    assert base64.b64encode(checkpoint.root).decode() == kept["rootHash"]
    proof = (await api.gql(PROOF, {"from": checkpoint.size}))["transparencyLog"][
        "consistencyProof"
    ]
    assert proof["toSize"] == log["size"] and proof["toRoot"] == log["rootHash"]
    verify_consistency(
        checkpoint.size,
        log["size"],
        [base64.b64decode(h) for h in proof["hashes"]],
        checkpoint.root,
        base64.b64decode(log["rootHash"]),
    )
    # Any token reads it: it holds no content, only evidence.
    participant = api.token(newcomer)
    read = await api.gql("{ transparencyLog { size } }", token=participant)
    assert read["transparencyLog"]["size"] == log["size"] + 1  # the token's event


async def test_a_proof_beyond_the_log_is_a_coded_error(api: Api) -> None:
    size = (await api.gql(LOG))["transparencyLog"]["size"]
    cases = (
        ({"from": 1, "to": size + 10}, "toSize"),
        ({"from": 0}, "fromSize"),
        ({"from": size + 1}, "fromSize"),
    )
    for variables, argument in cases:
        response = await api.post(PROOF, variables)
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None, body
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
        assert "Unexpected" not in error["message"]


async def test_each_history_event_proves_its_inclusion_in_a_checkpoint(
    api: Api,
) -> None:
    from tests.test_api_support import build_demo

    demo = build_demo(api.services.app)
    kept = api.services.checkpoints.sign().checkpoint
    await api.settle()
    query = """query ($id: ID!, $size: Int) { mentorship(id: $id) {
      history(first: 50) { edges { node { sequence hash
        inclusionProof(treeSize: $size) { leafIndex treeSize leafHash rootHash hashes }
      } } } } }"""
    variables = {"id": demo.node("Mentorship", "one_on_one"), "size": kept.size}
    data = await api.gql(query, variables)
    edges = data["mentorship"]["history"]["edges"]
    assert len(edges) > 5
    for edge in edges:
        proof = edge["node"]["inclusionProof"]
        assert proof["treeSize"] == kept.size
        assert base64.b64decode(proof["rootHash"]) == kept.root
        leaf = leaf_hash(bytes.fromhex(edge["node"]["hash"]))
        assert base64.b64decode(proof["leafHash"]) == leaf
        verify_inclusion(
            proof["leafIndex"],
            kept.size,
            leaf,
            [base64.b64decode(h) for h in proof["hashes"]],
            kept.root,
        )
    too_big = await api.post(query, {**variables, "size": kept.size + 100})
    errors = too_big.json()["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}
