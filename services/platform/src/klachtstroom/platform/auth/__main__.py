"""Development tokens from the command line (`make -s token ROLE=...`, `make run`'s dev token).

    python -m klachtstroom.platform.auth token --role kcc [--municipality M] [--provider P] [--name N]
    python -m klachtstroom.platform.auth dev-token      # writes <data dir>/dev-token, prints its path
    python -m klachtstroom.platform.auth table --write docs/access.md   # the role x endpoint table

Prints nothing but the token on stdout, so `TOKEN=$(make -s token ROLE=kcc)` works. Refused
when a real issuer is configured (KLACHTSTROOM_OIDC_ISSUER): its tokens come from the issuer.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from klachtstroom.platform.auth.callers import ALL_MUNICIPALITIES, Role
from klachtstroom.platform.auth.development import DevelopmentIssuer
from klachtstroom.platform.auth.table import markdown, rewrite
from klachtstroom.platform.settings import PlatformSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m klachtstroom.platform.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("token", help="print a development token for one role")
    one.add_argument("--role", required=True, help=", ".join(r.value for r in Role))
    one.add_argument("--municipality", default="", help="one municipality (default: every one, '*')")
    one.add_argument("--provider", default="", help="the provider, for the provider role")
    one.add_argument("--name", default="", help="the subject and name (default: the role's name)")
    commands.add_parser("dev-token", help="write <data dir>/dev-token (every role, every municipality)")
    table = commands.add_parser("table", help="print the role x endpoint table (or --write docs/access.md)")
    table.add_argument("--write", type=Path, help="rewrite the generated part of this markdown file")
    args = parser.parse_args(argv)
    if args.command == "table":
        if args.write:
            rewrite(args.write)
        else:
            print(markdown(), end="")
        return 0

    settings = PlatformSettings()
    if settings.oidc_issuer:
        print("A real issuer is configured (KLACHTSTROOM_OIDC_ISSUER): ask it for a token.", file=sys.stderr)
        return 2
    issuer = DevelopmentIssuer(settings.data_dir.resolve(), settings.oidc_audience)
    if args.command == "dev-token":
        print(write_dev_token(issuer, settings.data_dir.resolve()))
        return 0
    try:
        role = Role(args.role.strip())
    except ValueError:
        print(f"unknown role {args.role!r}; one of: {', '.join(r.value for r in Role)}", file=sys.stderr)
        return 2
    if role is Role.provider and not args.provider:
        print("the provider role needs PROVIDER=<name>", file=sys.stderr)
        return 2
    municipalities = [args.municipality] if args.municipality else [ALL_MUNICIPALITIES]
    subject = args.name or f"ontwikkelaar-{role.value}"
    print(
        issuer.mint(
            [role],
            subject=subject,
            name=args.name or None,
            municipalities=municipalities,
            provider=args.provider or None,
        )
    )
    return 0


def write_dev_token(issuer: DevelopmentIssuer, data_dir: Path) -> Path:
    """Write a fresh dev token atomically (readable by its owner only)."""
    path = data_dir / "dev-token"
    data_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=data_dir, prefix=".dev-token-")
    with os.fdopen(handle, "w") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(issuer.dev_token() + "\n")
    os.replace(temporary, path)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
