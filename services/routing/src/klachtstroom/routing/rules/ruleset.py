"""Routing rules as data: which handler gets a complaint, and why.

A rule names the values it matches on (None is a wildcard) and the handler it routes to.
Which consideration wins is data too (`PRECEDENCE`), and every decision names the step that
decided it: a rule for the provider the complaint names wins (the provider is the first line),
also over an unknown unit or category; then an unknown value sends the complaint to the
default rule, flagged for the complaints coordinator (routing never refuses a complaint);
otherwise the most specific matching rule wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from klachtstroom.contracts.vocabulary import Category, Handler, dutch
from klachtstroom.routing.case.domain import same_person

# The fields a rule can match on, with their Dutch names for explanations.
MATCH_FIELDS: Mapping[str, str] = {
    "municipality": "gemeente",
    "unit": "afdeling",
    "category": "categorie",
    "provider": "zorgaanbieder",
}


@dataclass(frozen=True)
class PrecedenceStep:
    step: str
    rule: str  # Dutch, for the coordinator


# Routing precedence, first step that applies decides. Shown with the rules (GET
# /api/v1/routing-rules) and named in every decision.
PRECEDENCE: tuple[PrecedenceStep, ...] = (
    PrecedenceStep(
        "named_provider",
        "Noemt de klacht een zorgaanbieder met een regel, dan gaat die regel voor: de zorgaanbieder "
        "is de eerste lijn. Een onbekende afdeling of categorie verandert dat niet.",
    ),
    PrecedenceStep(
        "unknown_value",
        "Een onbekende gemeente, afdeling, zorgaanbieder of categorie: de klacht gaat naar de "
        "standaardregel en wordt gemarkeerd voor de klachtcoördinator.",
    ),
    PrecedenceStep(
        "most_specific",
        "Anders wint de meest specifieke regel die past; bij gelijke specificiteit de hoogste "
        "prioriteit, en dan de id.",
    ),
)
# Unknown values a rule for the named provider outranks (an unknown municipality it does not).
OUTRANKED_BY_PROVIDER = frozenset({"unit", "category"})


class InvalidRuleSet(ValueError):
    """A rule set that cannot be used (HTTP 422); the current set stays in force."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Routable(Protocol):
    """What routing looks at: a complaint, a case, or an intake event payload."""

    @property
    def municipality(self) -> str | None: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def provider(self) -> str | None: ...


@dataclass(frozen=True, kw_only=True)
class RoutingRule:
    id: str
    version: int = 1
    municipality: str | None = None
    unit: str | None = None
    category: Category | None = None
    provider: str | None = None
    handler: Handler = Handler.municipality
    handler_name: str | None = None
    priority: int = 0  # breaks ties between equally specific rules; higher wins

    def conditions(self) -> dict[str, str]:
        """The non-wildcard values this rule matches on."""
        values = {name: getattr(self, name) for name in MATCH_FIELDS}
        return {name: str(value) for name, value in values.items() if value is not None}

    @property
    def specificity(self) -> int:
        return len(self.conditions())

    @property
    def is_default(self) -> bool:
        return self.specificity == 0

    def matches(self, complaint: Routable) -> bool:
        return all(_same_value(getattr(complaint, name), value) for name, value in self.conditions().items())

    def same_content(self, other: RoutingRule) -> bool:
        return replace(self, version=other.version) == other


@dataclass(frozen=True)
class KnownValues:
    """Values known outside the rules (e.g. the provider register), so they are not flagged."""

    municipalities: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    providers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RoutingDecision:
    rule_id: str | None
    rule_version: int | None
    handler: Handler
    handler_name: str | None
    flagged_unknown: bool  # the coordinator must look at this routing
    explanation: str  # Dutch, shown to the coordinator
    provider: str | None = None
    unknown_fields: tuple[str, ...] = ()
    precedence: str = "most_specific"  # the step of PRECEDENCE that decided


@dataclass(frozen=True)
class RuleSet:
    """A versioned set of rules; every replacement gets the next version."""

    version: int
    rules: tuple[RoutingRule, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", validate_rules(self.rules))
        if self.version < 1:
            raise InvalidRuleSet("version", "Het versienummer begint bij 1.")

    def replaced(self, rules: Iterable[RoutingRule]) -> RuleSet:
        """The next version. A rule keeps its version when its content did not change."""
        version = self.version + 1
        old = {rule.id: rule for rule in self.rules}
        stamped = []
        for rule in rules:
            previous = old.get(rule.id)
            kept = previous is not None and rule.same_content(previous)
            stamped.append(replace(rule, version=previous.version if previous and kept else version))
        return RuleSet(version=version, rules=tuple(stamped))

    def match(self, complaint: Routable, *, known: KnownValues | None = None) -> RoutingDecision:
        return match(self.rules, complaint, known=known)


def validate_rules(rules: Iterable[RoutingRule]) -> tuple[RoutingRule, ...]:
    checked: list[RoutingRule] = []
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        if not isinstance(rule.id, str) or not rule.id.strip():
            raise InvalidRuleSet(f"{where}.id", "Elke regel heeft een id.")
        if rule.id in seen:
            raise InvalidRuleSet(f"{where}.id", f"De id '{rule.id}' komt twee keer voor.")
        seen.add(rule.id)
        if rule.handler == Handler.provider and not rule.provider:
            raise InvalidRuleSet(
                f"{where}.provider", "Een regel naar een zorgaanbieder noemt die zorgaanbieder."
            )
        if rule.category is not None and rule.category not in set(Category):
            raise InvalidRuleSet(f"{where}.category", f"Onbekende categorie '{rule.category}'.")
        checked.append(rule)
    return tuple(checked)


def match(
    rules: Iterable[RoutingRule] | RuleSet, complaint: Routable, *, known: KnownValues | None = None
) -> RoutingDecision:
    """Route one complaint; the decision explains itself in Dutch."""
    pool = rules.rules if isinstance(rules, RuleSet) else tuple(rules)
    unknown = _unknown_values(pool, complaint, known or KnownValues())
    candidates = [rule for rule in pool if rule.matches(complaint)]
    for_provider = [rule for rule in candidates if rule.provider is not None]
    if for_provider and set(unknown) <= OUTRANKED_BY_PROVIDER:
        # The provider handles complaints about its own work first; the municipality is second line.
        prefix = f"De klacht gaat over zorgaanbieder '{complaint.provider}'."
        if unknown:
            prefix += f" Onbekend: {_notes(unknown)}; de regel voor de zorgaanbieder gaat voor."
        return _decide(_best(for_provider), prefix, (), "named_provider")
    if unknown:
        prefix = (
            f"Onbekend: {_notes(unknown)}. De klacht is bewaard zoals opgegeven, naar de "
            "standaardbehandelaar gestuurd en gemarkeerd voor de klachtcoördinator."
        )
        return _decide(_best([r for r in pool if r.is_default]), prefix, tuple(unknown), "unknown_value")
    return _decide(_best(candidates), "", (), "most_specific")


def _notes(unknown: Mapping[str, str]) -> str:
    return ", ".join(f"{MATCH_FIELDS[name]} '{value}'" for name, value in unknown.items())


def handler_for_complaint_about(
    employee: str, manager_of: Mapping[str, str], *, coordinator: str | None = None
) -> str | None:
    """Who may handle a complaint about `employee` (Awb 9:7: nobody involved in the conduct).

    The coordinator handles it, unless the complaint is about the coordinator: then their
    manager does. None when no uninvolved handler is known (a person has to choose).
    """
    if coordinator is not None and not same_person(coordinator, employee):
        return coordinator
    manager = manager_of.get(employee)
    if manager is None:
        manager = next((m for e, m in manager_of.items() if same_person(e, employee)), None)
    if manager is None or same_person(manager, employee):
        return None
    return manager


def _best(candidates: list[RoutingRule]) -> RoutingRule | None:
    # Most specific first, then highest priority; the id makes the choice deterministic.
    ordered = sorted(candidates, key=lambda rule: (-rule.specificity, -rule.priority, rule.id))
    return ordered[0] if ordered else None


def _decide(
    rule: RoutingRule | None, prefix: str, unknown: tuple[str, ...], precedence: str
) -> RoutingDecision:
    if rule is None:
        text = "Geen regel past en er is geen standaardregel; de klachtcoördinator routeert deze klacht."
        return RoutingDecision(
            rule_id=None,
            rule_version=None,
            handler=Handler.municipality,
            handler_name=None,
            flagged_unknown=True,
            explanation=" ".join(part for part in (prefix, text) if part),
            unknown_fields=unknown,
            precedence=precedence,
        )
    conditions = rule.conditions()
    if conditions:
        matched = ", ".join(
            f"{MATCH_FIELDS[name]} '{dutch(value) if name == 'category' else value}'"
            for name, value in conditions.items()
        )
    else:
        matched = "alle klachten (standaardregel)"
    if rule.handler == Handler.provider:
        who = f"zorgaanbieder '{rule.provider}' (eerste lijn)"
    else:
        who = "de gemeente"
    if rule.handler_name:
        who += f", behandelaar {rule.handler_name}"
    text = f"Regel '{rule.id}' (versie {rule.version}) past op {matched}: behandeling door {who}."
    return RoutingDecision(
        rule_id=rule.id,
        rule_version=rule.version,
        handler=rule.handler,
        handler_name=rule.handler_name,
        flagged_unknown=bool(unknown),
        explanation=" ".join(part for part in (prefix, text) if part),
        provider=rule.provider if rule.handler == Handler.provider else None,
        unknown_fields=unknown,
        precedence=precedence,
    )


def _unknown_values(
    rules: tuple[RoutingRule, ...], complaint: Routable, known: KnownValues
) -> dict[str, str]:
    """Values the complaint names that neither a rule nor the register knows."""
    register = {
        "municipality": known.municipalities,
        "unit": known.units,
        "provider": known.providers,
    }
    unknown: dict[str, str] = {}
    for name, extra in register.items():
        value = getattr(complaint, name)
        if value is None or not str(value).strip():
            continue
        known_values = {_norm(v) for v in extra} | {
            _norm(str(getattr(r, name))) for r in rules if getattr(r, name) is not None
        }
        if _norm(str(value)) not in known_values:
            unknown[name] = str(value)
    category = complaint.category
    if category is not None and str(category) not in {c.value for c in Category}:
        unknown["category"] = str(category)
    return unknown


def _norm(value: str) -> str:
    return value.strip().casefold()


def _same_value(given: object, wanted: str) -> bool:
    return given is not None and _norm(str(given)) == _norm(wanted)
