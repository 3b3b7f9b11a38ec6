"""Keycloak for development and the end-to-end test: the server distribution from Maven Central.

Standard library only, so it runs before any project dependency is installed.

CLI::

    python deploy/keycloak/keycloak_server.py fetch
    python deploy/keycloak/keycloak_server.py start [--port 8180] [--data-dir DIR]   # Ctrl-C stops

Python API (the pytest fixture)::

    server = Keycloak(data_dir, port=free_port)
    server.start()           # fetch if needed, import realm-klachtstroom.json, wait until it answers
    server.issuer            # "http://127.0.0.1:<port>/realms/klachtstroom"
    server.stop()

`org.keycloak:keycloak-quarkus-dist` (a zip) comes through Maven (`mvn dependency:copy`, so
Maven's local repository serves it the next time) or, without Maven, straight from Maven
Central. It is unpacked once under ``${KLACHTSTROOM_DATA_DIR:-<repo>/.run}/keycloak/``
(override: ``KLACHTSTROOM_KEYCLOAK_HOME``), shared by every data dir. Keycloak 26 needs JDK 21
or newer: ``KLACHTSTROOM_KEYCLOAK_JAVA_HOME``, else the newest JDK found under /usr/lib/jvm (a
Temurin 25 beside OpenJDK 17 here), else ``JAVA_HOME`` when it is new enough.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VERSION = "26.5.6"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{VERSION}:zip"
CENTRAL = (
    "https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/"
    f"{VERSION}/keycloak-quarkus-dist-{VERSION}.zip"
)
REALM_FILE = HERE / "realm-klachtstroom.json"
# A second organisation's realm: its tokens must be refused by klachtstroom (the e2e test).
OTHER_REALM_FILE = HERE / "realm-elders.json"
REALM_FILES = (REALM_FILE, OTHER_REALM_FILE)
REALM = "klachtstroom"
MIN_JAVA = 21


class KeycloakError(RuntimeError):
    pass


def default_data_dir() -> Path:
    return Path(os.environ.get("KLACHTSTROOM_DATA_DIR") or REPO / ".run").resolve()


def default_home() -> Path:
    configured = os.environ.get("KLACHTSTROOM_KEYCLOAK_HOME")
    return Path(configured) if configured else default_data_dir() / "keycloak" / f"keycloak-{VERSION}"


def _java_version(java_home: Path) -> int:
    release = java_home / "release"
    if release.exists():
        found = re.search(r'JAVA_VERSION="(\d+)', release.read_text())
        if found:
            return int(found.group(1))
    return 0


def java_home() -> Path:
    """A JDK of version 21 or newer: configured, else the newest under /usr/lib/jvm, else JAVA_HOME."""
    configured = os.environ.get("KLACHTSTROOM_KEYCLOAK_JAVA_HOME")
    if configured:
        return Path(configured)
    candidates = [Path(p) for p in glob.glob("/usr/lib/jvm/*") if (Path(p) / "bin" / "java").exists()]
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    ranked = sorted(candidates, key=lambda p: (_java_version(p), "temurin" in p.name), reverse=True)
    if ranked and _java_version(ranked[0]) >= MIN_JAVA:
        return ranked[0]
    raise KeycloakError(
        f"Keycloak {VERSION} needs JDK {MIN_JAVA} or newer; none found under /usr/lib/jvm or JAVA_HOME "
        "(set KLACHTSTROOM_KEYCLOAK_JAVA_HOME)"
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download_zip(target_dir: Path) -> Path:
    """The distribution zip: through Maven (offline first, then online), else from Maven Central."""
    mvn = shutil.which("mvn")
    if mvn:
        cmd = [mvn, "-B", "-q", "-Dstyle.color=never"]
        if repo := os.environ.get("KLACHTSTROOM_MAVEN_REPO"):
            cmd.append(f"-Dmaven.repo.local={repo}")
        cmd += [
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
            f"-Dartifact={ARTIFACT}",
            f"-DoutputDirectory={target_dir}",
        ]
        for attempt in ([*cmd[:2], "-o", *cmd[2:]], cmd):
            result = subprocess.run(attempt, capture_output=True, text=True, cwd=target_dir)
            found = sorted(target_dir.glob("keycloak-quarkus-dist-*.zip"))
            if result.returncode == 0 and found:
                return found[0]
        print(f"mvn could not fetch {ARTIFACT}; trying Maven Central directly", file=sys.stderr)
    target = target_dir / f"keycloak-quarkus-dist-{VERSION}.zip"
    try:
        with urllib.request.urlopen(CENTRAL, timeout=120) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
    except OSError as error:
        raise KeycloakError(f"fetching {CENTRAL} failed: {error}") from error
    return target


def fetch(home: Path | None = None) -> Path:
    """Unpack the distribution into ``home`` once (it appears whole or not at all)."""
    home = home or default_home()
    if (home / "bin" / "kc.sh").exists():
        return home
    with _locked(home.parent / ".fetch.lock"):
        if (home / "bin" / "kc.sh").exists():
            return home
        with tempfile.TemporaryDirectory(dir=home.parent, prefix=".fetch-") as scratch:
            archive = _download_zip(Path(scratch))
            unpacked = Path(scratch) / "unpacked"
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(unpacked)
            (top,) = [p for p in unpacked.iterdir() if p.is_dir()]
            for script in (top / "bin").glob("*.sh"):
                script.chmod(0o755)
            top.rename(home)
    return home


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Keycloak:
    """One Keycloak in development mode (H2 under the data dir), with the klachtstroom realm."""

    def __init__(self, data_dir: Path, port: int | None = None, home: Path | None = None) -> None:
        self.data_dir = data_dir / "keycloak"
        self.port = port or free_port()
        self.home = home
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    def realm_issuer(self, realm: str) -> str:
        return f"{self.url}/realms/{realm}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "keycloak.out"

    def start(self, timeout: float = 240) -> None:
        home = fetch(self.home)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # --import-realm reads <home>/data/import; the database lives in memory (dev-mem), so
        # every start imports the realms afresh and leaves nothing behind.
        imports = home / "data" / "import"
        imports.mkdir(parents=True, exist_ok=True)
        for realm in REALM_FILES:
            shutil.copy(realm, imports / realm.name)
        env = {
            **os.environ,
            "JAVA_HOME": str(java_home()),
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": "admin",
            # A small heap: two cores and several JVMs (Kafka) on the same machine.
            "JAVA_OPTS_KC_HEAP": "-Xms64m -Xmx512m",
        }
        command = [
            str(home / "bin" / "kc.sh"),
            "start-dev",
            "--http-host=127.0.0.1",
            f"--http-port={self.port}",
            f"--http-management-port={free_port()}",
            "--import-realm",
            "--db=dev-mem",
            "--log-level=WARN",
        ]
        began = time.monotonic()
        with self.log_file.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self._wait_ready(began + timeout)
        self.started_in = time.monotonic() - began

    def _wait_ready(self, deadline: float) -> None:
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise KeycloakError(f"Keycloak exited ({self.process.returncode}):\n{self._tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(discovery, timeout=2) as response:
                if response.status == 200:
                    return
            time.sleep(0.5)
        self.stop()
        raise KeycloakError(f"Keycloak did not answer within the timeout:\n{self._tail()}")

    def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def _tail(self, lines: int = 40) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="fetch and unpack the distribution (once)")
    start = sub.add_parser("start", help="start Keycloak with the klachtstroom realm (foreground)")
    start.add_argument("--port", type=int, default=8180)
    start.add_argument("--data-dir", type=Path, default=default_data_dir())
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(fetch())
            return 0
        server = Keycloak(args.data_dir, port=args.port)

        def interrupt(_signal: int, _frame: object) -> None:
            raise KeyboardInterrupt  # SIGTERM too stops Keycloak (it runs in a session of its own)

        signal.signal(signal.SIGTERM, interrupt)
        server.start()
        print(f"Keycloak {VERSION} ready in {server.started_in:.1f}s: issuer {server.issuer}")
        print("Services signing in there (development secrets of realm-klachtstroom.json):")
        for line in (
            f"KLACHTSTROOM_OIDC_ISSUER={server.issuer}",
            "KLACHTSTROOM_OIDC_CLIENT_ID=klachtstroom-machine",
            "KLACHTSTROOM_OIDC_CLIENT_SECRET=klachtstroom-machine-development-secret",
            "KLACHTSTROOM_OIDC_SIGNIN_CLIENT_ID=klachtstroom-staff",
            "KLACHTSTROOM_OIDC_SIGNIN_CLIENT_SECRET=klachtstroom-staff-development-secret",
        ):
            print(f"  export {line}")
        print("Staff user: behandelaar / behandelaar-wachtwoord (handler, Utrecht)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            assert server.process is not None
            server.process.wait()
        server.stop()
        return 0
    except KeycloakError as error:
        print(f"keycloak: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
