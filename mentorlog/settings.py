"""Settings from arguments and MENTORLOG_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = "./mentorlog-data"
MARKER = "mentorlog.json"


@dataclass(frozen=True)
class Settings:
    """Where data lives and which plugins load."""

    data_dir: Path
    disabled_plugins: tuple[str, ...] = field(default_factory=tuple)
    skip_failing_plugins: bool = False
    poll_interval: float = 0.2
    write_timeout: float = 5.0

    @property
    def events_db(self) -> Path:
        """The SQLite file of the event store."""
        return self.data_dir / "events.db"

    @property
    def views_db(self) -> Path:
        """The SQLite file of the read models and their tracking positions."""
        return self.data_dir / "views.db"

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike[str] | None = None) -> Settings:
        """Build settings from an explicit data dir or the environment."""
        env = os.environ
        disabled = tuple(
            name.strip()
            for name in env.get("MENTORLOG_DISABLE_PLUGINS", "").split(",")
            if name.strip()
        )
        return cls(
            data_dir=Path(data_dir or env.get("MENTORLOG_DATA") or DEFAULT_DATA_DIR),
            disabled_plugins=disabled,
            skip_failing_plugins=env.get("MENTORLOG_SKIP_FAILING_PLUGINS", "").lower()
            in ("1", "true", "yes"),
        )
