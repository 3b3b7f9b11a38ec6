"""The files `docker build` sends as context: the repository filtered by .dockerignore.

Evaluated with the Docker SDK's own implementation of the .dockerignore rules (patterns relative
to the root, `**`, `!` exceptions, the last matching rule wins), over the working tree as it
is, untracked files included: that is what a build on this machine would send.

    python deploy/build_context.py [ROOT]      # one path per line
"""

from __future__ import annotations

import sys
from pathlib import Path

from docker.utils.build import exclude_paths

# What may never be in the context, as a path segment or a file suffix.
FORBIDDEN_PARTS = frozenset({".run", ".venv", "tests", "__pycache__", "node_modules", ".git"})
FORBIDDEN_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".key", ".keys", ".pem", ".env", ".pickle")


def dockerignore_patterns(root: Path) -> list[str]:
    path = root / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def context_files(root: Path) -> list[str]:
    """Relative paths of the regular files in the build context, sorted."""
    included = exclude_paths(str(root), dockerignore_patterns(root))
    return sorted(path for path in included if (root / path).is_file() and not (root / path).is_symlink())


def forbidden(paths: list[str]) -> list[str]:
    """Paths that must never be sent: data, keys, venvs, tests, caches, hidden files."""
    wrong = []
    for path in paths:
        parts = Path(path).parts
        hidden = [part for part in parts if part.startswith(".") and part != ".dockerignore"]
        if FORBIDDEN_PARTS & set(parts) or hidden or path.endswith(FORBIDDEN_SUFFIXES):
            wrong.append(path)
    return wrong


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    files = context_files(root)
    wrong = forbidden(files)
    if wrong:
        print("kept out by nothing in .dockerignore:", *wrong[:20], sep="\n  ", file=sys.stderr)
        return 1
    print("\n".join(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
