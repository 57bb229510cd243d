"""GraphiQL's browser assets, vendored: which npm packages, files and versions.

`python -m mentorlog.web.vendor` refreshes static/vendor/ from the npm registry:
for each pinned package it downloads the tarball the registry names, checks it
against the registry's integrity digest (SHA-512), and copies out the files the
GraphiQL page loads and the package's licence. The pins live here, in PACKAGES;
change a version, run the module, then load /graphql and run the browser tests.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    """An npm package at a pinned version, and the files taken from it."""

    name: str
    version: str
    files: tuple[str, ...]
    licence: str = "LICENSE"

    @property
    def folder(self) -> Path:
        """Where its files go."""
        return VENDOR / self.name.replace("/", "-")


PACKAGES = (
    Package("react", "18.2.0", ("umd/react.production.min.js",)),
    Package("react-dom", "18.2.0", ("umd/react-dom.production.min.js",)),
    Package("graphiql", "3.8.3", ("graphiql.min.js", "graphiql.min.css")),
)


def fetch(url: str) -> bytes:
    """The body of a GET to the registry."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
        body: bytes = response.read()
        return body


def check_integrity(data: bytes, integrity: str) -> None:
    """Refuse a tarball whose SHA-512 is not the registry's."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unexpected integrity algorithm {algorithm}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise ValueError("the tarball does not match the registry's integrity")


def refresh(package: Package) -> dict[str, str]:
    """Download one package and write its files and licence; return what was kept."""
    meta = json.loads(fetch(f"{REGISTRY}/{package.name}/{package.version}"))
    tarball = fetch(meta["dist"]["tarball"])
    check_integrity(tarball, meta["dist"]["integrity"])
    package.folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name in (*package.files, package.licence):
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise ValueError(f"{package.name} has no file {name}")
            (package.folder / Path(name).name).write_bytes(member.read())
    return {
        "version": package.version,
        "integrity": meta["dist"]["integrity"],
        "licence": meta.get("license", ""),
    }


def main() -> None:
    """Refresh every vendored package and write versions.json beside them."""
    kept = {}
    for package in PACKAGES:
        kept[package.name] = refresh(package)
        print(f"{package.name}@{package.version}", file=sys.stderr)
    (VENDOR / "versions.json").write_text(json.dumps(kept, indent=2) + "\n")


if __name__ == "__main__":
    main()
