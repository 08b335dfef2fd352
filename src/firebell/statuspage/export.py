"""The static export: the public site written into a directory any static web server or object
store can serve while Firebell itself is down (issue 17, "Survives our outage").

Crash rule: every file is written to a temporary file in its own directory, flushed to disk and
then renamed over the old one (os.replace is atomic on POSIX), so a reader, or a crash at any
instant, sees each file whole: the old version or the new one, never half of either. The files an
export wrote are listed in a manifest; the next export deletes those it no longer produces (an
incident that left the public set), and never touches anything else in the directory."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

MANIFEST = ".firebell-export.json"


def _target(directory: Path, relative: str) -> Path:
    """The file a relative path names inside the directory; a path that would leave it is refused."""
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(part in ("..", ".", "") for part in path.parts):
        raise ValueError(f"{relative!r} is not a path inside the export")
    return directory.joinpath(*path.parts)


def _fsync_directory(directory: Path) -> None:
    """Make the renames in a directory durable (a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, data: bytes) -> bool:
    """Replace `path` with `data` whole; False (and nothing written) when it already holds them."""
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the page from a web server's own user
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return True


def _previous(directory: Path) -> set[str]:
    try:
        listed = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return set()
    return {name for name in listed if isinstance(name, str)} if isinstance(listed, list) else set()


def _order(names: Iterable[str]) -> list[str]:
    """Incident pages first and the front page last, so no page links to one not yet written."""
    return sorted(names, key=lambda name: (not name.startswith("incidents/"), name == "index.html", name))


def write_export(directory: str | os.PathLike[str], files: Mapping[str, bytes]) -> int:
    """Write the site (relative path -> bytes) into `directory`; the number of files that changed
    (written or removed)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    targets = {name: _target(root, name) for name in files}
    changed = 0
    touched: set[Path] = set()
    for name in _order(files):
        if write_atomically(targets[name], files[name]):
            changed += 1
            touched.add(targets[name].parent)
    for name in sorted(_previous(root) - set(files)):
        try:
            stale = _target(root, name)
            stale.unlink()
        except (OSError, ValueError):
            continue
        changed += 1
        touched.add(stale.parent)
    for folder in touched:
        _fsync_directory(folder)
    write_atomically(root / MANIFEST, json.dumps(sorted(files)).encode())
    _fsync_directory(root)
    return changed
