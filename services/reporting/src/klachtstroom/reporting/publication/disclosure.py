"""Names in publications (Woo): only those the organisation configured, only in cells of 3 or more.

Units and municipalities reach reporting as they were given at intake, and a resident may type
anything there ("Jan Jansen, Dorpsstraat 1"). A published report or register therefore names
a unit, municipality or provider only when it is on the organisation's own list
(`KLACHTSTROOM_REPORTING_UNITS`, `..._MUNICIPALITIES`, `..._PROVIDERS`) and at least
`open_data_min_count` (3) registrations carry it; every other name is published as "overig",
so the counts still add up. No list configured: no names at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from klachtstroom.reporting.reports.annual import AnnualReport

OTHER = "overig"


def publishable_names(names: Iterable[str | None], listed: Collection[str] | None, minimum: int) -> set[str]:
    """The names that may be published: on the configured list and common enough."""
    if not listed:
        return set()
    counts = Counter(name for name in names if name)
    return {name for name, n in counts.items() if n >= minimum and name in listed}


def _fold(table: Mapping[str, Any], allowed: Collection[str], keep: Collection[str] = ("unknown",)) -> Any:
    """A table keyed by name with every name not allowed added into "overig"."""
    folded: dict[str, Any] = {}
    for name, value in table.items():
        key = name if name in allowed or name in keep else OTHER
        if key not in folded:
            folded[key] = dict(value) if isinstance(value, Mapping) else value
        elif isinstance(value, Mapping):
            for inner, n in value.items():
                folded[key][inner] = folded[key].get(inner, 0) + n
        else:
            folded[key] += value
    return folded


def _total(value: Any) -> int:
    return sum(value.values()) if isinstance(value, Mapping) else int(value)


def published_annual(
    report: AnnualReport,
    units: Collection[str] | None,
    municipalities: Collection[str] | None,
    minimum: int,
    providers: Collection[str] | None = None,
) -> AnnualReport:
    """The annual report as it may be published: unlisted or rare names folded into "overig",
    the measures register without owners and with its texts de-identified."""
    unit_totals = {name: _total(cells) for name, cells in report["by_unit"].items()}
    allowed_units = {n for n, total in unit_totals.items() if units and n in units and total >= minimum}
    place_totals = {name: _total(years) for name, years in report["by_municipality"].items()}
    allowed_places = {
        n for n, total in place_totals.items() if municipalities and n in municipalities and total >= minimum
    }
    published: dict[str, Any] = dict(report)
    published["by_unit"] = _fold(report["by_unit"], allowed_units)
    published["by_municipality"] = _fold(report["by_municipality"], allowed_places)
    if report.get("municipality") and report["municipality"] not in (municipalities or ()):
        published["municipality"] = OTHER
    published["summary_sentences"] = [
        sentence
        for sentence in report["summary_sentences"]
        if not _names_any(sentence, unit_totals, allowed_units)
        and not _names_any(sentence, place_totals, allowed_places)
    ]
    by = published.get("satisfaction_by")
    if isinstance(by, Mapping):
        published["satisfaction_by"] = {
            **by,
            "by_unit": _fold_satisfaction(by.get("by_unit", {}), allowed_units, minimum),
            "by_provider": _fold_satisfaction(by.get("by_provider", {}), set(providers or ()), minimum),
        }
    measures = published.get("measures_list")
    if isinstance(measures, list) and measures:
        published["measures_list"] = [_published_measure(m, allowed_units, providers) for m in measures]
    return published  # type: ignore[return-value]


def _fold_satisfaction(groups: Mapping[str, Any], allowed: Collection[str], minimum: int) -> dict[str, Any]:
    """Satisfaction per name, with unlisted or small groups merged (weighted) into "overig"."""
    kept: dict[str, Any] = {}
    merged: list[Mapping[str, Any]] = []
    for name, group in groups.items():
        if name in allowed and int(group.get("responses", 0)) >= minimum:
            kept[name] = dict(group)
        elif group.get("responses"):
            merged.append(group)
    if merged:
        total = sum(int(g["responses"]) for g in merged)

        def weighted(key: str) -> float:
            return sum(float(g[key] or 0) * int(g["responses"]) for g in merged) / total

        kept[OTHER] = {"responses": total, "average_score": weighted("average_score"),
                       "heard_share": weighted("heard_share")}  # fmt: skip
    return kept


def _published_measure(
    measure: Mapping[str, Any], units: Collection[str], providers: Collection[str] | None
) -> dict[str, Any]:
    """A measure as published: its texts de-identified, no owner (a person), listed names only."""
    from klachtstroom.reporting.publication.deidentify import deidentify  # deduce: loaded on first use

    shown = dict(measure)
    for key in ("title", "description"):
        if shown.get(key):
            shown[key] = deidentify(str(shown[key]))
    if "owner" in shown:
        shown["owner"] = ""
    if shown.get("unit") and shown["unit"] not in units:
        shown["unit"] = OTHER
    if shown.get("provider") and shown["provider"] not in (providers or ()):
        shown["provider"] = OTHER
    shown.pop("complaint_ids", None)
    return shown


def _names_any(sentence: str, names: Iterable[str], allowed: Collection[str]) -> bool:
    """Whether a sentence names a unit or municipality that may not be published."""
    return any(name not in allowed and name != "unknown" and name in sentence for name in names)
