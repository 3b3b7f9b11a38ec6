"""The role x endpoint table of docs/access.md, generated from the rules (rules.py).

    python -m klachtstroom.platform.auth table --write docs/access.md

rewrites the part of docs/access.md between the two `generated` markers; a test fails when
the file and the rules disagree.
"""

from __future__ import annotations

from pathlib import Path

from klachtstroom.platform.auth.callers import Role
from klachtstroom.platform.auth.rules import ACCESS, EVERY_SERVICE, Rule

BEGIN = "<!-- generated from services/platform/src/klachtstroom/platform/auth/rules.py: begin -->"
END = "<!-- generated: end -->"


def cell(rule: Rule, role: Role) -> str:
    if rule.roles is None:
        return "✓"
    if role not in rule.roles:
        return "403"
    if rule.scoped or (rule.provider_param and role is Role.provider):
        return "✓ / 404"
    return "✓"


def row(service: str, rule: Rule) -> str:
    roles = " | ".join(cell(rule, role) for role in Role)
    anonymous = "✓" if rule.public else ("401 ✎" if rule.signed else "401")
    return f"| {service} | {rule.method} | `{rule.path}` | {roles} | {anonymous} | {rule.audit or ''} |"


def markdown() -> str:
    roles = " | ".join(role.value for role in Role)
    header = f"| service | method | path | {roles} | no token | audit |"
    rule_line = "|---|---|---|" + "---|" * (len(Role) + 2)
    lines = [header, rule_line]
    lines += [row("every service", rule) for rule in EVERY_SERVICE]
    for service, rules in ACCESS.items():
        lines += [row(service, rule) for rule in rules]
    return "\n".join(lines) + "\n"


def rewrite(document: Path) -> bool:
    """Put the generated table between the markers; True when the file changed."""
    text = document.read_text()
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END)
    updated = text[:start] + "\n" + markdown() + text[end:]
    if updated != text:
        document.write_text(updated)
        return True
    return False


def generated_part(document: Path) -> str:
    text = document.read_text()
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip("\n") + "\n"
