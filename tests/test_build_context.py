"""The image's build context (.dockerignore) keeps data, keys, venvs and tests out (issue 20).

A tree with every kind of thing that must stay out planted where it would be (the data dir at
the root and inside a service, venvs, tests, databases, keys, caches) is filtered with the
repository's .dockerignore as Docker filters it (deploy/build_context.py); only the sources and
the lock file may remain. The repository's own context is checked the same way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from build_context import context_files, forbidden

ROOT = Path(__file__).resolve().parent.parent

NEEDED = {
    ".dockerignore",
    "pyproject.toml",
    "uv.lock",
    "LICENSE",
    "contracts/pyproject.toml",
    "contracts/src/klachtstroom/contracts/topics.py",
    "services/intake/pyproject.toml",
    "services/intake/src/klachtstroom/intake/app.py",
    "services/intake/src/klachtstroom/intake/resident/templates/status.html",
}
PLANTED = {
    ".run/intake/dev.key",
    ".run/kafka/libs/kafka.jar",
    ".venv/bin/python",
    ".git/config",
    "services/intake/.run/intake/intake.db",
    "services/intake/.run/intake/encryption.keys",
    "services/intake/.run/dev-token",
    "services/intake/.venv/lib/site.py",
    "services/intake/tests/test_form.py",
    "services/intake/src/klachtstroom/intake/__pycache__/app.cpython-311.pyc",
    "services/intake/src/klachtstroom/intake/triage/installed-model.pickle",
    "services/routing/routing.db",
    "services/routing/routing.db-wal",
    "services/routing/.env",
    "services/routing/secrets/signing.pem",
    "services/reporting/.pytest_cache/v/cache",
    "tests/test_walking_skeleton.py",
    "deploy/compose.env",
    "docs/settings.md",
    "README.md",
}


def test_only_sources_and_the_lock_reach_the_build(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    for path in (NEEDED | PLANTED) - {".dockerignore"}:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    assert set(context_files(tmp_path)) == NEEDED
    assert forbidden(sorted(PLANTED)) == sorted(PLANTED - {"README.md", "docs/settings.md"})


def test_the_repositorys_own_context_holds_every_service_and_nothing_forbidden() -> None:
    files = context_files(ROOT)
    assert forbidden(files) == []
    for service in ("platform", "intake", "routing", "deadlines", "reporting"):
        assert f"services/{service}/pyproject.toml" in files
        assert any(f.startswith(f"services/{service}/src/klachtstroom/{service}/") for f in files)
