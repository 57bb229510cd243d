"""Fan-out: alike subscriptions share each event's one answer, and only they do.

Served over real sockets as in tests/test_api_subscriptions.py. Subscriptions with
the same document and variables but another role, program or person must each get
what their own token may read: a participant of another mentorship nothing of
this one, a participant and an admin a private goal's content shown and hidden.
"""

from __future__ import annotations

from mentorlog.core.access import person_actor
from mentorlog.schema.fanout import GROUPS

from tests.test_api_subscriptions import (  # noqa: F401
    ACTIVITY,
    SYSTEM,
    Served,
    _goal,
    connected,
    record,
    served_fixture,
)
from tests.test_api_support import Demo, demo_fixture  # noqa: F401


async def test_alike_subscriptions_share_one_answer_but_scopes_do_not(
    served: Served, demo: Demo
) -> None:
    app = served.services.app
    ids = demo.ids
    program = demo.node("Program", "program")
    other, _ = await record(
        app.issue_token, actor=SYSTEM, person_id=ids["kofi"], role="participant"
    )
    async with (
        connected(served.base, demo.tokens["admin"]) as admin1,
        connected(served.base, demo.tokens["admin"]) as admin2,
        connected(served.base, demo.tokens["participant"]) as sam1,
        connected(served.base, demo.tokens["participant"]) as sam2,
        connected(served.base, other) as kofi,
    ):
        for socket, name in [
            (admin1, "a1"),
            (admin2, "a2"),
            (sam1, "s1"),
            (sam2, "s2"),
            (kofi, "k"),
        ]:
            await socket.subscribe(name, ACTIVITY, id=program)
        served.wait_for_subscribers(5)
        await record(
            app.record_goal_progress,
            ids["one_on_one"],
            ids["private_goal"],
            actor=person_actor(ids["sam"]),
            percent=70,
            note="Private to Sam",
        )
        kofis_goal = "In Kofi's mentorship"
        await record(_goal, app, ids["peer"], person_actor(ids["kofi"]), kofis_goal)
        admins = [await admin1.event("a1"), await admin2.event("a2")]
        sams = [await sam1.event("s1"), await sam2.event("s2")]
        kofis = await kofi.event("k")
        admins_next = [await admin1.event("a1"), await admin2.event("a2")]
        groups = {g.key[3]: g for g in GROUPS.groups()}
    # The same scope: the same answer, worked out once per event.
    assert admins[0] == admins[1] and sams[0] == sams[1]
    assert admins_next[0] == admins_next[1]
    admin_scope = ("admin", ids["program"], ids["ada"])
    assert groups[admin_scope].executions == 2
    # Sam reads his private goal's note; the admin sees it hidden.
    assert sams[0]["note"] == "Private to Sam" and sams[0]["contentHidden"] is False
    assert admins[0]["note"] is None and admins[0]["contentHidden"] is True
    # Kofi, of another mentorship, gets nothing of Sam's: his first is his own.
    assert kofis["title"] == kofis_goal
    assert admins_next[0]["title"] == kofis_goal
