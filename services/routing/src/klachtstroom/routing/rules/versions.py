"""The routing rules as stored data: the current versioned RuleSet, its seed, and what is known.

Every replacement is a new version; old versions stay, so a decision recorded with
rule id and version can always be looked up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.vocabulary import Category, Handler
from klachtstroom.routing.rules.ruleset import InvalidRuleSet, KnownValues, Routable, RoutingRule, RuleSet
from klachtstroom.routing.settings import RoutingSettings
from klachtstroom.routing.tables import ProviderRow, RuleSetRow

SEED_RULE_ID = "standaard"


def seed_rules(settings: RoutingSettings) -> RuleSet:
    """The first rule set: every complaint to the municipality's default handler."""
    return RuleSet(
        version=1,
        rules=(
            RoutingRule(
                id=SEED_RULE_ID, handler=Handler.municipality, handler_name=settings.default_handler_name
            ),
        ),
    )


def rule_to_json(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "version": rule.version,
        "municipality": rule.municipality,
        "unit": rule.unit,
        "category": rule.category.value if rule.category else None,
        "provider": rule.provider,
        "handler": rule.handler.value,
        "handler_name": rule.handler_name,
        "priority": rule.priority,
    }


def rule_from_json(data: Mapping[str, Any], index: int = 0) -> RoutingRule:
    where = f"rules[{index}]"
    try:
        category = Category(data["category"]) if data.get("category") else None
    except ValueError:
        raise InvalidRuleSet(f"{where}.category", f"Onbekende categorie '{data.get('category')}'.") from None
    try:
        handler = Handler(data.get("handler") or Handler.municipality)
    except ValueError:
        raise InvalidRuleSet(f"{where}.handler", "Kies 'municipality' of 'provider'.") from None
    return RoutingRule(
        id=str(data.get("id") or ""),
        version=int(data.get("version") or 1),
        municipality=_text(data.get("municipality")),
        unit=_text(data.get("unit")),
        category=category,
        provider=_text(data.get("provider")),
        handler=handler,
        handler_name=_text(data.get("handler_name")),
        priority=int(data.get("priority") or 0),
    )


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


async def current_rules(session: AsyncSession, settings: RoutingSettings) -> RuleSet:
    newest = (
        await session.execute(select(RuleSetRow).order_by(RuleSetRow.version.desc()).limit(1))
    ).scalar_one_or_none()
    if newest is None:
        return seed_rules(settings)
    rules = tuple(rule_from_json(item, i) for i, item in enumerate(newest.rules))
    return RuleSet(version=newest.version, rules=rules)


async def ensure_seeded(session: AsyncSession, settings: RoutingSettings, now: datetime) -> None:
    count = (await session.execute(select(func.count()).select_from(RuleSetRow))).scalar_one()
    if count == 0:
        seed = seed_rules(settings)
        session.add(
            RuleSetRow(
                version=seed.version,
                rules=[rule_to_json(r) for r in seed.rules],
                actor="systeem",
                created_at=now,
            )
        )


async def replace_rules(
    session: AsyncSession,
    settings: RoutingSettings,
    rules: Iterable[RoutingRule],
    *,
    actor: str,
    now: datetime,
) -> RuleSet:
    await ensure_seeded(session, settings, now)
    current = await current_rules(session, settings)
    new = current.replaced(rules)  # validates; InvalidRuleSet leaves the current set in force
    session.add(
        RuleSetRow(
            version=new.version, rules=[rule_to_json(r) for r in new.rules], actor=actor, created_at=now
        )
    )
    await session.flush()
    return new


async def known_values(
    session: AsyncSession, settings: RoutingSettings, rules: RuleSet, complaint: Routable
) -> KnownValues:
    """What counts as known. A field without any register (settings or rules) knows every value."""
    return known_for(settings, rules, complaint, await provider_names(session))


async def provider_names(session: AsyncSession) -> frozenset[str]:
    return frozenset((await session.execute(select(ProviderRow.name))).scalars())


def known_for(
    settings: RoutingSettings, rules: RuleSet, complaint: Routable, providers: frozenset[str]
) -> KnownValues:
    """`known_values` with the provider register already read (once for a run of complaints)."""

    def register(field: str, configured: frozenset[str]) -> frozenset[str]:
        in_rules = any(getattr(rule, field) is not None for rule in rules.rules)
        own = getattr(complaint, field)
        if configured or in_rules or own is None:
            return configured
        return frozenset({str(own)})

    return KnownValues(
        municipalities=register("municipality", settings.municipalities),
        units=register("unit", settings.units),
        providers=providers,
    )
