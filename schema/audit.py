"""The auditors' verification of the hash chains: its types and the verify queries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from mentorlog.core.chain import ChainedRecorder, StreamVerdict, store_digest, verify
from mentorlog.core.policy import may_verify
from mentorlog.schema import ids
from mentorlog.schema.context import Info


@strawberry.type(description="One event stream's hash chain, recomputed and compared.")
class StreamVerification:
    stream_id: str = strawberry.field(description="The stream's ID (a UUID, in hex).")
    events: int = strawberry.field(description="How many events the stream holds.")
    ok: bool = strawberry.field(description="Whether every link matches.")
    digest: str | None = strawberry.field(
        description="The hash of the stream's last link when intact; null if broken."
    )
    broken_at: int | None = strawberry.field(
        description="The sequence of the first event whose link does not match (or "
        "that is missing); null when intact."
    )
    reason: str | None = strawberry.field(
        description="Why it is broken: 'hash mismatch', 'event missing' or 'event "
        "has no link'; null when intact."
    )

    @classmethod
    def of(cls, verdict: StreamVerdict) -> StreamVerification:
        """Build from core's verdict."""
        return cls(
            stream_id=verdict.stream_id,
            events=verdict.events,
            ok=verdict.ok,
            digest=verdict.digest,
            broken_at=verdict.bad_version,
            reason=verdict.reason or None,
        )

    @classmethod
    async def of_mentorship(
        cls, info: Info, mentorship_id: str
    ) -> StreamVerification | None:
        """Verify a mentorship's stream; None for non-auditors and unknown IDs."""
        if not may_verify(info.context.principal):
            return None
        parsed = ids.parse_global_id(mentorship_id)
        if parsed is None or parsed[0] != "Mentorship":
            return None
        if await info.context.loaders.mentorship.load(parsed[1]) is None:
            return None  # no such mentorship (another kind of stream, or none)
        recorder = _recorder(info)
        (verdict,) = await info.context.in_thread(verify, recorder, [parsed[1]])
        return cls.of(verdict) if verdict.events else None


@strawberry.type(description="Every stream of the store verified, and one digest.")
class StoreVerification:
    ok: bool = strawberry.field(description="Whether every stream is intact.")
    digest: str = strawberry.field(
        description="One SHA-256 over every stream's ID, length and last link: equal "
        "digests mean equal stores."
    )
    stream_count: int = strawberry.field(description="How many streams were verified.")
    broken: list[StreamVerification] = strawberry.field(
        description="The streams that are not intact."
    )
    streams: list[StreamVerification] = strawberry.field(
        description="Every stream's verification, by stream ID."
    )

    @classmethod
    async def of_store(cls, info: Info) -> StoreVerification | None:
        """Verify the whole store; None for non-auditors."""
        if not may_verify(info.context.principal):
            return None
        verdicts = await info.context.in_thread(verify, _recorder(info))
        streams = [StreamVerification.of(v) for v in verdicts]
        return cls(
            ok=all(v.ok for v in verdicts),
            digest=store_digest(verdicts),
            stream_count=len(verdicts),
            broken=[s for s in streams if not s.ok],
            streams=streams,
        )


def _recorder(info: Info) -> ChainedRecorder:
    """The store's recorder, which keeps the hash chains."""
    recorder = info.context.services.app.recorder
    if not isinstance(recorder, ChainedRecorder):
        raise TypeError("the event store keeps no hash chain to verify")
    return recorder


@strawberry.type
class VerifyQueries:
    """The auditors' verification of the hash chains."""

    @strawberry.field(
        description="Verify one mentorship's hash chain: recompute each event's link "
        "and compare it with the stored one. Auditors only; null for others and for "
        "an unknown mentorship."
    )
    async def verify(
        self,
        info: Info,
        mentorship_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The mentorship's global ID."),
        ],
    ) -> StreamVerification | None:
        return await StreamVerification.of_mentorship(info, mentorship_id)

    @strawberry.field(
        description="Verify every stream of the store (mentorships, programs, people, "
        "credentials...) and digest the whole. Auditors only; null for others."
    )
    async def verify_all(self, info: Info) -> StoreVerification | None:
        return await StoreVerification.of_store(info)
