"""The pages' addresses `mentorlog serve` prints: GraphiQL, a dashboard, a timeline."""

from __future__ import annotations

import asyncio

from mentorlog.schema.ids import global_id
from mentorlog.services import Services


async def _first_ids(services: Services) -> tuple[str | None, str | None]:
    """The oldest program's and mentorship's IDs in the read models, if any."""
    db = await services.read_database(size=1).open()
    try:
        programs = await db.fetch("SELECT id FROM programs ORDER BY seq LIMIT 1")
        mentorships = await db.fetch("SELECT id FROM mentorships ORDER BY seq LIMIT 1")
    finally:
        await db.close()
    return (
        programs[0]["id"] if programs else None,
        mentorships[0]["id"] if mentorships else None,
    )


def addresses(services: Services, base: str) -> list[tuple[str, str]]:
    """What to open in a browser, by name: real IDs where the store has them."""
    program, mentorship = asyncio.run(_first_ids(services))
    program_id = global_id("Program", program) if program else "<program ID>"
    mentorship_id = (
        global_id("Mentorship", mentorship) if mentorship else "<mentorship ID>"
    )
    return [
        ("GraphiQL", f"{base}/graphql"),
        ("sign in", f"{base}/signin"),
        ("dashboard", f"{base}/programs/{program_id}/dashboard"),
        ("timeline", f"{base}/mentorships/{mentorship_id}/timeline"),
    ]
