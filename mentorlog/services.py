"""Open the parts for one data directory: plugins, event store, read models, runner."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from eventsourcing.utils import get_topic

from mentorlog import __version__
from mentorlog.core.application import Mentoring
from mentorlog.core.chain import ChainedSQLiteRecorder
from mentorlog.core.privacy import SQLiteKeyStore
from mentorlog.plugins.manager import Catalog, load_catalog
from mentorlog.projections.registry import all_projections
from mentorlog.projections.runner import ProjectionRunner
from mentorlog.projections.store import ReadModelRecorder, open_read_models
from mentorlog.settings import MARKER, Settings

DATA_FORMAT = 1


class DataDirError(Exception):
    """The data directory cannot be used: not mentorlog's, unreadable or corrupt."""


@dataclass
class Services:
    """Everything one mentorlog process needs, built from settings."""

    settings: Settings
    catalog: Catalog
    app: Mentoring
    read_models: ReadModelRecorder
    runner: ProjectionRunner

    def close(self) -> None:
        """Stop the runner and close the databases."""
        self.runner.stop()
        self.app.close()
        self.read_models.datastore.close()


def prepare_data_dir(data_dir: Path, create: bool = True) -> None:
    """Check a data dir is mentorlog's (or empty), creating it and its marker."""
    marker = data_dir / MARKER
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"{data_dir} is a file, not a mentorlog data directory")
    if marker.exists():
        try:
            meta = json.loads(marker.read_text())
        except (OSError, ValueError) as exc:
            raise DataDirError(f"{marker} is unreadable: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != DATA_FORMAT:
            raise DataDirError(
                f"{data_dir} holds data in a format this mentorlog cannot read"
            )
        return
    if data_dir.exists() and any(data_dir.iterdir()):
        raise DataDirError(
            f"{data_dir} is not a mentorlog data directory (it has files but no "
            f"{MARKER}); choose an empty or new directory"
        )
    if not create:
        raise DataDirError(
            f"{data_dir} does not exist; run 'mentorlog demo' or 'serve' first"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"format": DATA_FORMAT, "created_by": __version__}))


def _check_sqlite(path: Path) -> None:
    if not path.exists():
        return
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DataDirError(f"{path} is not a readable SQLite database: {exc}") from None


def open_services(settings: Settings, create: bool = True) -> Services:
    """Open the event store, the read models and the runner for settings.data_dir."""
    prepare_data_dir(settings.data_dir, create=create)
    _check_sqlite(settings.events_db)
    _check_sqlite(settings.views_db)
    catalog = load_catalog(settings.disabled_plugins, settings.skip_failing_plugins)
    app = Mentoring(
        catalog,
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.events_db),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": get_topic(ChainedSQLiteRecorder),
        },
        keys=SQLiteKeyStore(settings.data_dir / "keys.db"),
    )
    projections = all_projections(app.sealer)
    read_models = open_read_models(settings.views_db, projections)
    runner = ProjectionRunner(
        app, read_models, projections, poll_interval=settings.poll_interval
    )
    return Services(settings, catalog, app, read_models, runner)
