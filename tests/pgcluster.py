"""A throwaway PostgreSQL cluster built from the local Debian binaries, for the tests.

initdb refuses to run as root, so when the suite runs as root the cluster is created and started
as the `postgres` system user (created by Debian's package) or, failing that, a user we add.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "firebell-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "firebell-pg"], check=True)
    return "firebell-pg"


@dataclass
class Cluster:
    bindir: Path
    datadir: Path
    port: int
    user: str | None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                                 "stop"), capture_output=True, check=False)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_cluster() -> Cluster:
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL binaries (initdb) found")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="firebell-pg-"))
    datadir = root / "data"
    datadir.mkdir()
    os.chmod(root, 0o755)
    if user:
        info = pwd.getpwnam(user)
        for p in (root, datadir):
            os.chown(p, info.pw_uid, info.pw_gid)
    cluster = Cluster(bindir=bindir, datadir=datadir, port=free_port(), user=user)
    subprocess.run(cluster._cmd(str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust",
                                "-E", "UTF8", "--no-sync"), check=True, capture_output=True)
    options = (f"-p {cluster.port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
    proc = subprocess.run(cluster._cmd(str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options,
                                       "-l", str(root / "server.log"), "-w", "-t", "60", "start"),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {proc.stderr}\n{log}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", cluster.port)) == 0:
                return cluster
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not accept connections in 30 s")
