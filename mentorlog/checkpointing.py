"""Signing checkpoints of the log, keeping them, witnessing them, checking the log.

A Checkpointer signs the log's current size and root with the installation's key
(a file outside the data), keeps the note in the store's log_checkpoints table and,
when a witness directory is set, writes it there too. Served processes sign one
every `checkpoint_every` events or `checkpoint_interval` seconds, in a thread.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from mentorlog.core.checkpoints import SigningKey, load_signing_key
from mentorlog.core.transparency import Divergence, Transparency, check_extension
from mentorlog.core.verify_bundle import (
    Checkpoint,
    VerificationError,
    VerifierKey,
    open_checkpoint,
)
from mentorlog.settings import Settings

log = logging.getLogger(__name__)
WITNESS_SUFFIX = ".checkpoint"


@dataclass(frozen=True)
class Kept:
    """A checkpoint as signed: its note text and what it says."""

    note: str
    checkpoint: Checkpoint


class Checkpointer:
    """Signs, keeps and checks checkpoints of one store's log."""

    def __init__(self, settings: Settings, recorder: Any) -> None:
        self.settings = settings
        self.recorder = recorder
        self.log = Transparency(recorder)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @cached_property
    def key(self) -> SigningKey:
        """The signing key (its file is made on first use)."""
        return load_signing_key(
            self.settings.checkpoint_key_path, self.settings.log_origin
        )

    @property
    def verifier(self) -> VerifierKey:
        """The public key to publish: auditors check checkpoints with it."""
        return self.key.verifier

    def sign(self) -> Kept:
        """Sign the log as it is now; keep the checkpoint and witness it."""
        size, root = self.log.root()
        note = self.key.sign(size, root)
        self.recorder.insert_checkpoint(size, note)
        witness = self.settings.witness_dir
        if witness is not None:
            witness.mkdir(parents=True, exist_ok=True)
            target = witness / f"{size:012d}{WITNESS_SUFFIX}"
            if not target.exists():
                target.write_text(note, encoding="utf-8")
        return Kept(note, open_checkpoint(note, self.verifier))

    def kept(self) -> list[Kept]:
        """Every checkpoint kept in the store, oldest first (signatures checked)."""
        return [
            Kept(note, open_checkpoint(note, self.verifier))
            for _, note in self.recorder.select_checkpoints()
        ]

    def latest(self) -> Kept | None:
        """The newest kept checkpoint, if any."""
        kept = self.recorder.select_checkpoints()
        if not kept:
            return None
        note = kept[-1][1]
        return Kept(note, open_checkpoint(note, self.verifier))

    def due(self, last: Checkpoint | None, last_time: float) -> bool:
        """Whether the log grew enough, or long enough ago, to sign again."""
        size = self.log.size()
        grown = size - (last.size if last else 0)
        if grown <= 0:
            return False
        if grown >= self.settings.checkpoint_every:
            return True
        return time.monotonic() - last_time >= self.settings.checkpoint_interval

    def start(self, poll: float = 1.0) -> None:
        """Sign in a thread whenever one is due, until stop()."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(poll,), name="checkpoints", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the signing thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self, poll: float) -> None:
        last_time = time.monotonic()
        try:
            latest = self.latest()
        except VerificationError as error:
            log.error("kept checkpoints do not verify with this key: %s", error)
            return
        last = latest.checkpoint if latest else None
        while not self._stop.wait(poll):
            try:
                if self.due(last, last_time):
                    last, last_time = self.sign().checkpoint, time.monotonic()
            except Exception as error:  # keep signing later; never kill the server
                log.warning("could not sign a checkpoint: %s", error)


def read_checkpoints(path: Path) -> list[str]:
    """The checkpoint notes in a file, or in every file of a directory."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        if not files:
            raise VerificationError(f"{path} holds no checkpoints")
        return [p.read_text(encoding="utf-8") for p in files]
    return [path.read_text(encoding="utf-8")]


def check_against(
    recorder: Any, notes: list[str], verifier: VerifierKey
) -> list[Divergence]:
    """Check every note's signature, then that the log extends each one."""
    return check_extension(recorder, [open_checkpoint(n, verifier) for n in notes])
