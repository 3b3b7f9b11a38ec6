"""Who may call what: every route of every service, as data (DESIGN.md "Access and roles").

One table, read by the access gate of every service (gate.py), by the table-driven test that
walks each service's routes, and by the generator of docs/access.md. A route that is not in
this table is refused for everyone (deny by default): a new route is added here together with
its code, or it does not answer. See services/platform/README.md, "Access control".

`roles=None` means public (no token). `scoped` means the route answers 404 for a complaint,
case or provider outside the caller's municipalities or provider (existence not revealed), and
a list or report it gives holds only what is inside that scope.
`provider_param` names the path parameter that must be the caller's own provider when only its
`provider` role allows the call. `signed` marks a callback with credentials of its own (a
Standard Webhooks signature, the token configured for the Notificaties API): without a valid
bearer token the gate passes the request on and the route checks those credentials itself,
refusing when none are configured.

`audit` says what the audit trail records of an answered call (platform/audit.py): "read" (a
complaint or case holding personal data was read), "change" (something was changed) or None.
By default every call that may change something is a change, and a scoped GET (a complaint or
case, or a list of them) a read; a rule says otherwise where that default is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.routing import Mount

from klachtstroom.platform.auth.callers import Role

kcc, handler, coordinator, manager, college, provider, admin, auditor, system = (
    Role.kcc,
    Role.handler,
    Role.coordinator,
    Role.manager,
    Role.college,
    Role.provider,
    Role.admin,
    Role.auditor,
    Role.system,
)


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    roles: frozenset[Role] | None
    scoped: bool = False
    provider_param: str | None = None
    signed: bool = False
    audit: str | None = None

    @property
    def public(self) -> bool:
        return self.roles is None


READ, CHANGE = "read", "change"


def allow(
    method: str,
    path: str,
    roles: Iterable[Role],
    *,
    scoped: bool = False,
    provider_param: str | None = None,
    signed: bool = False,
    audit: str | None = "default",
) -> Rule:
    if audit == "default":
        audit = CHANGE if method != "GET" else (READ if scoped else None)
    if audit not in (READ, CHANGE, None):
        raise ValueError(f"unknown audit kind {audit!r}")
    return Rule(method, path, frozenset(roles), scoped, provider_param, signed, audit)


def public(method: str, path: str) -> Rule:
    return Rule(method, path, None)


# Who reads what (DESIGN.md's role table). `system` is the role of machine clients, among them
# the services themselves when they ask a peer for a fact it owns (claim check, requests for access).
READ_COMPLAINTS = {kcc, handler, coordinator, auditor, system}
REGISTER = {kcc, handler, coordinator, system}
CONTACT_DETAILS = {kcc, handler, coordinator, system}
READ_CASES = {kcc, handler, coordinator, manager, auditor, provider, system}
STAFF_CASE_PAGES = {kcc, handler, coordinator, manager, auditor}
CASE_ACTIONS = {handler, coordinator}
# Routing's case actions, each its own route `POST /api/v1/cases/{case_id}/<action>` (routing's
# case/actions.py `BODIES`; a routing test checks that the two name the same actions).
CASE_ACTION_NAMES = (
    "assign",
    "take-over",
    "refer",
    "hear",
    "extend",
    "escalate",
    "resolve",
    "decline",
    "forward",
    "acknowledge",
    "suspend",
    "resume",
    "mediate",
    "withdraw",
    "reopen",
    "refer-ombudsman",
)
READ_TERMS = {kcc, handler, coordinator, manager, auditor, provider, system}
REPORTS = {coordinator, manager, college}
MEASURES_READ = {coordinator, handler, provider, manager, college}
MEASURES_WRITE = {coordinator, handler, provider}
PRIVACY = {coordinator, admin}
AUDIT = {auditor}
TEST_CLOCK = {admin, system}

# Every service: operations and its own API description (DESIGN.md's public list).
EVERY_SERVICE: tuple[Rule, ...] = (
    public("GET", "/healthz"),
    public("GET", "/readyz"),
    public("GET", "/metrics"),
    public("GET", "/openapi.json"),
    public("GET", "/docs"),
    public("GET", "/docs/oauth2-redirect"),
    public("GET", "/redoc"),
    # Signing in to the staff pages (auth/signin.py): the way to a session, so open to all.
    public("GET", "/aanmelden"),
    public("POST", "/aanmelden"),
    public("GET", "/aanmelden/terug"),
    public("GET", "/afmelden"),
    public("POST", "/afmelden"),
    allow("PUT", "/api/v1/test/clock", TEST_CLOCK),
    allow("GET", "/api/v1/audit", AUDIT),
)

ACCESS: dict[str, tuple[Rule, ...]] = {
    "intake": (
        public("GET", "/"),
        public("POST", "/klacht"),
        public("GET", "/static/{path:path}"),
        public("GET", "/status/{code}"),
        public("POST", "/status/{code}/feedback"),
        allow("GET", "/kcc", REGISTER - {system}),
        allow("POST", "/kcc", REGISTER - {system}),
        allow("POST", "/api/v1/complaints", REGISTER),
        allow("GET", "/api/v1/complaints", READ_COMPLAINTS, scoped=True),
        allow("GET", "/api/v1/complaints/{complaint_id}", READ_COMPLAINTS, scoped=True),
        allow("GET", "/api/v1/complaints/{complaint_id}/messages", READ_COMPLAINTS, scoped=True),
        # How to reach the complainant: for those who must (never college or manager); routing
        # asks as `system` for the case page, the case API and letters. Every read is audited.
        allow("GET", "/api/v1/complaints/{complaint_id}/contact", CONTACT_DETAILS, scoped=True),
        allow(
            "GET", "/api/v1/complaints/{complaint_id}/duplicates", {kcc, handler, coordinator}, scoped=True
        ),
        allow("POST", "/api/v1/complaints/{complaint_id}/merge", {coordinator}, scoped=True),
        allow("POST", "/api/v1/complaints/{complaint_id}/triage", {coordinator}, scoped=True),
        allow("POST", "/api/v1/triage", REGISTER, audit=None),  # a text is triaged, nothing kept
        # Triage corrections and the model behind them: the coordinator's.
        allow("GET", "/api/v1/triage/overrides", {coordinator}, scoped=True),
        allow("POST", "/api/v1/triage/overrides/{override_id}/undo", {coordinator}, scoped=True),
        allow("GET", "/api/v1/triage/model", {coordinator, admin}),
        allow("POST", "/api/v1/imports", {admin}),
        allow("GET", "/api/v1/imports/{job_id}", {admin}),
        allow("GET", "/import", {admin}),
        allow("POST", "/import", {admin}),
        allow("GET", "/import/{job_id}", {admin}),
        # Letters and e-mails to residents: templates are functional administration (admin);
        # what was sent, and letters waiting to be printed (addresses), for the back office.
        allow("GET", "/api/v1/message-templates", {admin, coordinator}),
        allow("PUT", "/api/v1/message-templates/{kind}", {admin}),
        allow("DELETE", "/api/v1/message-templates/{kind}", {admin}),
        allow(
            "GET", "/api/v1/resident-messages", {kcc, handler, coordinator, auditor}, scoped=True, audit=READ
        ),
        # The print queue holds addresses.
        allow("GET", "/api/v1/print-queue", {kcc, handler, coordinator}, scoped=True, audit=READ),
        allow("POST", "/api/v1/print-queue/{message_id}/printed", {kcc, handler, coordinator}, scoped=True),
        # Everything held about a person.
        allow("POST", "/api/v1/privacy/access", PRIVACY, scoped=True, audit=READ),
        allow("POST", "/api/v1/privacy/retention/run", {admin}),
        allow("GET", "/api/v1/privacy/log", PRIVACY | {auditor}, scoped=True),
        allow("PATCH", "/api/v1/complaints/{complaint_id}/contact", PRIVACY, scoped=True),
    ),
    "routing": (
        allow("GET", "/", STAFF_CASE_PAGES),
        allow("GET", "/klachten/{case_id}", STAFF_CASE_PAGES, scoped=True),
        allow("POST", "/klachten/{case_id}/actie/{action}", CASE_ACTIONS, scoped=True),
        allow("POST", "/klachten/{case_id}/brief/{kind}/verstuurd", CASE_ACTIONS, scoped=True),
        allow("GET", "/api/v1/cases", READ_CASES, scoped=True),
        allow("GET", "/api/v1/cases/{case_id}", READ_CASES, scoped=True),
        *(
            allow("POST", f"/api/v1/cases/{{case_id}}/{name}", CASE_ACTIONS, scoped=True)
            for name in CASE_ACTION_NAMES
        ),
        # Any other name: `take_over` for `take-over`, or an unknown action (404).
        allow("POST", "/api/v1/cases/{case_id}/{action}", CASE_ACTIONS, scoped=True),
        allow("POST", "/api/v1/cases/{case_id}/ombudsman/outcome", CASE_ACTIONS, scoped=True),
        allow(
            "GET", "/api/v1/cases/{case_id}/letters/{filename}", {handler, coordinator, auditor}, scoped=True
        ),
        allow("GET", "/api/v1/cases/{case_id}/letters", {handler, coordinator, auditor}, scoped=True),
        # The letter went out: it is kept as it was sent (with the address it was sent to).
        allow("POST", "/api/v1/cases/{case_id}/letters/{kind}/sent", CASE_ACTIONS, scoped=True),
        # The municipality's own wording of its letters.
        allow("GET", "/api/v1/letter-templates", {coordinator, admin}),
        allow("PUT", "/api/v1/letter-templates/{kind}", {admin}),
        allow("DELETE", "/api/v1/letter-templates/{kind}", {admin}),
        allow("GET", "/api/v1/routing-rules", {coordinator, admin}),
        # The units routing knows, for intake's form and KCC screen (asked as `system`).
        allow("GET", "/api/v1/routing-rules/units", {kcc, handler, coordinator, admin, system}),
        allow("GET", "/api/v1/routing-rules/{version}", {coordinator, admin}),
        allow("PUT", "/api/v1/routing-rules", {coordinator, admin}),
        allow("POST", "/api/v1/routing-rules/match", {coordinator, admin}, audit=None),  # a dry run
        allow("GET", "/api/v1/providers", {coordinator, admin}),
        allow("PUT", "/api/v1/providers", {admin}),
        allow("PUT", "/api/v1/providers/{name}", {admin}),
        allow("GET", "/api/v1/providers/{name}/deliveries", {coordinator, admin}),
        allow(
            "POST",
            "/api/v1/providers/{name}/cases/{case_id}/status",
            {provider},
            scoped=True,
            provider_param="name",
            signed=True,
        ),
        allow("POST", "/api/v1/zgw/notifications", {system}, signed=True),
        # Requests for access and retention, gathered by intake from every service (as `system`).
        allow("GET", "/api/v1/privacy/cases", PRIVACY | {system}, audit=READ),
        allow("GET", "/api/v1/privacy/retention/due", {admin, system}),
        allow("POST", "/api/v1/privacy/retention/run", {admin, system}),
    ),
    "deadlines": (
        allow("GET", "/", STAFF_CASE_PAGES, scoped=True, audit=None),
        allow("GET", "/api/v1/deadlines", READ_TERMS, scoped=True, audit=None),
        allow("GET", "/api/v1/deadlines/cases/{case_id}", READ_TERMS, scoped=True, audit=None),
        public("GET", "/api/v1/calendar/due"),
        public("GET", "/api/v1/calendar/{year}"),
        allow("PUT", "/api/v1/calendar/days", {admin}),
        allow("DELETE", "/api/v1/calendar/days/{day}", {admin}),
        allow("GET", "/api/v1/calendar/changes/{change_id}", {coordinator, admin}),
        allow("GET", "/api/v1/escalation", {coordinator, manager, admin}),
        allow("PUT", "/api/v1/escalation", {admin}),
        allow("GET", "/api/v1/timers", {coordinator, manager, admin}, scoped=True, audit=None),
        allow("GET", "/api/v1/notifications", {coordinator, manager, admin}, scoped=True),
        allow("POST", "/api/v1/privacy/retention/run", {admin, system}),
    ),
    "reporting": (
        allow("GET", "/", {coordinator, manager}, scoped=True, audit=None),
        allow("GET", "/api/v1/reports/annual/{year}", REPORTS, scoped=True, audit=None),
        allow("GET", "/api/v1/reports/mediated/{year}", REPORTS, scoped=True, audit=None),
        allow(
            "GET",
            "/api/v1/reports/providers/{provider}/{period}",
            REPORTS | {provider},
            scoped=True,
            audit=None,  # counts, no personal data
            provider_param="provider",
        ),
        allow("GET", "/api/v1/signals", REPORTS, scoped=True, audit=None),
        public("GET", "/api/v1/open-data/{year}.csv"),
        allow("POST", "/api/v1/measures", MEASURES_WRITE),
        allow("GET", "/api/v1/measures", MEASURES_READ),
        allow("GET", "/api/v1/measures/{measure_id}", MEASURES_READ),
        allow("PATCH", "/api/v1/measures/{measure_id}", MEASURES_WRITE),
        allow("POST", "/api/v1/privacy/retention/run", {admin, system}),
    ),
}


def rules_for(service: str) -> tuple[Rule, ...]:
    return EVERY_SERVICE + ACCESS.get(service, ())


def routes_of(app: Any) -> list[tuple[str, str]]:
    """Every (method, path template) an app answers, pages and mounts included (HEAD as GET)."""
    found: list[tuple[str, str]] = []

    def add(methods: Iterable[str] | None, path: str) -> None:
        for method in sorted(methods or {"GET"}):
            if method != "HEAD":
                found.append((method, path))

    for route in app.routes:
        # FastAPI keeps included routers as one entry; their effective routes carry full paths.
        contexts = getattr(route, "effective_route_contexts", None)
        entries = list(contexts()) if contexts is not None else [route]
        for entry in entries:
            target = getattr(entry, "starlette_route", None) or getattr(entry, "original_route", entry)
            path = getattr(entry, "path_format", None) or getattr(target, "path_format", None) or target.path
            if isinstance(target, Mount) or isinstance(getattr(entry, "original_route", None), Mount):
                add({"GET"}, path.rstrip("/") if path.endswith("{path}") else f"{path.rstrip('/')}/{{path}}")
            else:
                add(getattr(entry, "methods", None) or getattr(target, "methods", None), path)
    return found
