"""Global IDs: encode read-model keys as Relay IDs and decode what clients send."""

from __future__ import annotations

import base64
import binascii
from uuid import UUID

from mentorlog.core.errors import NotFound
from mentorlog.core.inputs import excerpt

# Node types whose objects live inside a mentorship: their node ID is
# "<mentorship_id>:<entity_id>", since entity IDs are unique only per mentorship.
SCOPED_TYPES = frozenset({"Goal", "Milestone", "Meeting", "Review", "Feedback", "Note"})
ROOT_TYPES = frozenset(
    {"Program", "Person", "Mentorship", "WebhookEndpoint", "Invitation"}
)


def global_id(type_name: str, node_id: str) -> str:
    """Encode a type name and node ID as an opaque global ID."""
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def scoped_node_id(mentorship_id: str, entity_id: str) -> str:
    """The node ID of an object that lives inside a mentorship."""
    return f"{mentorship_id}:{entity_id}"


def parse_global_id(value: str) -> tuple[str, str] | None:
    """Return (type name, node ID) for a well-formed global ID, else None."""
    if not isinstance(value, str) or not value or len(value) > 400:
        return None
    try:
        text = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    type_name, sep, node_id = text.partition(":")
    if not sep or type_name not in ROOT_TYPES | SCOPED_TYPES:
        return None
    if type_name in ROOT_TYPES:
        return (type_name, node_id) if _is_uuid(node_id) else None
    mentorship_id, sep, entity_id = node_id.partition(":")
    if not sep or not _is_uuid(mentorship_id) or not entity_id.isalnum():
        return None
    return type_name, node_id


def _is_uuid(text: str) -> bool:
    try:
        return str(UUID(text)) == text
    except ValueError:
        return False


def decode(value: str, type_name: str, field: str) -> str:
    """Decode a global ID of the given type to its node ID, or raise NotFound."""
    parsed = parse_global_id(value)
    if parsed is None:
        raise NotFound(f"'{excerpt(value)}' is not a valid {type_name} ID", field)
    if parsed[0] != type_name:
        shown = excerpt(value)
        raise NotFound(f"'{shown}' is a {parsed[0]} ID, not a {type_name} ID", field)
    return parsed[1]


def decode_scoped(value: str, type_name: str, field: str) -> tuple[str, str]:
    """Decode the global ID of an object inside a mentorship to (mentorship, own ID)."""
    mentorship_id, _, entity_id = decode(value, type_name, field).partition(":")
    return mentorship_id, entity_id
