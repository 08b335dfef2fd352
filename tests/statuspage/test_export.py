"""The static export: every file written whole (temp file, fsync, rename), stale incident pages
removed, nothing else in the directory touched, a failure half-way leaves the last export readable,
and a plain static server serves the result while Firebell is nowhere."""

from __future__ import annotations

import json
import os
import stat
import urllib.request
from pathlib import Path

import pytest

from firebell.statuspage import export as export_module
from firebell.statuspage.export import write_export
from firebell.statuspage.site import render_site
from tests.statuspage.builders import NOW, page_in
from tests.statuspage.serve import static_server


def _on_disk(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*")
            if p.is_file() and p.name != export_module.MANIFEST}


def test_every_file_is_written_and_an_unchanged_one_is_left_alone(tmp_path: Path) -> None:
    files = render_site(page_in("several"), base_url="", now=NOW)
    assert write_export(tmp_path / "site", files) == len(files)
    assert _on_disk(tmp_path / "site") == files
    index = tmp_path / "site" / "index.html"
    assert stat.S_IMODE(index.stat().st_mode) == 0o644, "a web server running as another user can read it"
    inode = index.stat().st_ino
    assert write_export(tmp_path / "site", files) == 0
    assert index.stat().st_ino == inode


def test_pages_of_incidents_no_longer_public_are_removed_and_nothing_else(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_export(site, render_site(page_in("several"), base_url="", now=NOW))
    (site / "robots.txt").write_text("User-agent: *\n")  # the operator's own file
    (site / "incidents" / "note.txt").write_text("kept")
    after = render_site(page_in("operational"), base_url="", now=NOW)
    write_export(site, after)
    assert not (site / "incidents" / "incqueue.html").exists()
    assert (site / "incidents" / "inc0old.html").exists()
    assert (site / "robots.txt").read_text() == "User-agent: *\n"
    assert (site / "incidents" / "note.txt").read_text() == "kept"
    assert {k: v for k, v in _on_disk(site).items() if k not in ("robots.txt", "incidents/note.txt")} == after


def test_a_failure_half_way_leaves_every_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    before = render_site(page_in("operational"), base_url="", now=NOW)
    write_export(site, before)
    after = render_site(page_in("critical"), base_url="", now=NOW)
    real_fsync, calls = os.fsync, []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(export_module.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_export(site, after)
    monkeypatch.undo()
    found = _on_disk(site)
    assert not [name for name in found if name.endswith(".tmp")], "no temporary file is left behind"
    assert set(found) >= set(before)
    for name, data in found.items():
        assert data in (before.get(name), after.get(name)), f"{name} is neither the old nor the new file"
    assert found["index.html"] == before["index.html"], "the front page is written last"
    assert found != before, "the failure came part-way through"
    write_export(site, after)  # and the next export completes it
    assert _on_disk(site) == after


def test_a_path_outside_the_directory_is_refused(tmp_path: Path) -> None:
    for bad in ("../escape.html", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(ValueError):
            write_export(tmp_path / "site", {bad: b"x"})
    assert not (tmp_path / "escape.html").exists()


def test_a_plain_static_server_serves_the_export(tmp_path: Path) -> None:
    docs = page_in("major")
    write_export(tmp_path / "site", render_site(docs, base_url="", now=NOW))
    with static_server(tmp_path / "site") as url:
        with urllib.request.urlopen(f"{url}/index.html") as answer:
            assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/html")
            assert b"Partial System Outage" in answer.read()
        with urllib.request.urlopen(f"{url}/api/v2/summary.json") as answer:
            assert answer.status == 200
            assert json.loads(answer.read()) == docs["summary"]
        with urllib.request.urlopen(f"{url}/status.css") as answer:
            assert answer.headers["Content-Type"] == "text/css"
