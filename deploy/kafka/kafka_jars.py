"""The Kafka jars: fetch them from Maven Central once, and run Kafka's own command-line tools from them.

Standard library only. The jars go to ``${KLACHTSTROOM_DATA_DIR:-<repo>/.run}/kafka/libs`` (override:
``KLACHTSTROOM_KAFKA_LIBS``); a marker file holding the pom's hash makes a second fetch a no-op, and
Maven's local repository (``~/.m2/repository``, override: ``KLACHTSTROOM_MAVEN_REPO``) makes a
re-fetch work offline.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


class KafkaNodeError(RuntimeError):
    """The development Kafka could not be fetched, started, stopped or given its topics."""


HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
POM = HERE / "pom.xml"
TOOLS_LOG4J = HERE / "tools-log4j.properties"
# One-shot tools: start fast, stay small.
TOOL_JVM = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]


def default_data_dir() -> Path:
    env = os.environ.get("KLACHTSTROOM_DATA_DIR")
    return Path(env).resolve() if env else REPO_ROOT / ".run"


def default_libs_dir() -> Path:
    env = os.environ.get("KLACHTSTROOM_KAFKA_LIBS")
    return Path(env).resolve() if env else default_data_dir() / "kafka" / "libs"


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise KafkaNodeError("java not found: install a JRE 11+ (apt-get install openjdk-17-jre-headless)")
    return found


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def libs_ready(libs_dir: Path) -> bool:
    marker = libs_dir / ".fetched"
    return marker.exists() and marker.read_text().strip() == _pom_digest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # a supervisor and a test run may fetch at the same moment
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fetch(libs_dir: Path | None = None) -> Path:
    """Copy the jars pom.xml names into ``libs_dir``, unless its marker says they are there already."""
    libs = libs_dir or default_libs_dir()
    if libs_ready(libs):
        return libs
    with _locked(libs.parent / ".libs.lock"):
        if libs_ready(libs):
            return libs
        mvn = shutil.which("mvn")
        if not mvn:
            raise KafkaNodeError("mvn not found: install Maven (apt-get install maven) to fetch Kafka")
        partial = libs.parent / f"{libs.name}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        cmd = [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(POM)]
        if repo := os.environ.get("KLACHTSTROOM_MAVEN_REPO"):
            cmd.append(f"-Dmaven.repo.local={repo}")
        cmd += ["dependency:copy-dependencies", f"-DoutputDirectory={partial}"]
        # Offline first: once Maven's local repository has everything, no network is needed.
        result = subprocess.run([*cmd[:2], "-o", *cmd[2:]], capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not any(partial.glob("kafka_2.13-*.jar")):
            shutil.rmtree(partial, ignore_errors=True)
            output = result.stdout[-2000:] + result.stderr[-2000:]
            raise KafkaNodeError(f"fetching Kafka jars failed:\n{output}")
        (partial / ".fetched").write_text(_pom_digest() + "\n")
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)  # appears whole or not at all
    return libs


def run_tool(
    libs: Path, main_class: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one of Kafka's tools (StorageTool, TopicCommand, ...) in a small JVM; output is captured."""
    log4j = f"-Dlog4j.configuration=file:{TOOLS_LOG4J}"
    return subprocess.run(
        [java(), *TOOL_JVM, log4j, "-cp", str(libs / "*"), main_class, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def create_topics_java(bootstrap: str, topics: dict[str, int], libs_dir: Path | None = None) -> None:
    """Create topics with Kafka's own TopicCommand (what kafka-topics.sh runs), one JVM per topic."""
    libs = fetch(libs_dir)

    def create(item: tuple[str, int]) -> subprocess.CompletedProcess[str]:
        name, partitions = item
        return run_tool(
            libs,
            "org.apache.kafka.tools.TopicCommand",
            *("--bootstrap-server", bootstrap, "--create", "--if-not-exists", "--topic", name),
            *("--partitions", str(partitions), "--replication-factor", "1"),
        )

    with ThreadPoolExecutor(max_workers=min(8, len(topics) or 1)) as pool:
        failed = [r for r in pool.map(create, topics.items()) if r.returncode != 0]
    if failed:
        raise KafkaNodeError("TopicCommand failed:\n" + "\n".join(r.stderr[-1500:] for r in failed))
