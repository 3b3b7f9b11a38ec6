"""The annual report and the dashboard's figures counted in the database, for years of data.

`annual.annual_report` counts a list of `CaseFacts` in Python: the one definition of every
number. Reading all rows of four years for each request is too slow over a million cases, so
`annual_report_sql` filters (years, municipality, the caller's scope) and counts (GROUP BY) in
SQL, and builds the same `AnnualReport` from those counts with the same helpers. The per-case
judgements of `facts.py` are written once more here as SQL expressions (`term_sql`,
`contact_sql`, `outcome_sql`, ...); tests/test_aggregates.py proves, over a generated set with
every edge case, that both paths give exactly the same report.

Only what needs per-case judgement beyond those (feedback and norms per complaint, measures
linked to complaints) is read as rows, and then only the rows of the complaints concerned.
"""

from __future__ import annotations

import asyncio
import copy
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, false, func, literal, literal_column, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from klachtstroom.contracts.vocabulary import (
    CaseState,
    Category,
    Channel,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.projection.queries import facts_of_row, live_set
from klachtstroom.reporting.reports.annual import (
    MUNICIPALITY_YEARS,
    AnnualReport,
    ContactCounts,
    Learning,
    TermCounts,
    count_vocabulary,
    learning_sections,
    ordered_names,
    summary_sentences,
)
from klachtstroom.reporting.reports.facts import CLOSED_STATES, OPEN_STATES, UNKNOWN, CaseFacts
from klachtstroom.reporting.store import POINTER, CaseRow, ProjectionSet, ProjectionState

# Reader sessions for statements run side by side (`Database.reads_apart`), and one read.
Reading = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Read = Callable[[AsyncSession], Awaitable[Any]]

# Who may see a case: `Access.sees(municipality, provider)` of the platform, or None for all.
Sees = Callable[[str | None, str | None], bool]

ID_CHUNK = 500  # ids per `IN (...)`: well below every database's limit on bound parameters


# --- facts.py's judgements, as SQL over a `CaseRow` table ---------------------------------


def closed_sql(cases: type[CaseRow]) -> ColumnElement[bool]:
    """`CaseFacts.is_closed`; a row without a state is `received` (open)."""
    return cases.state.in_(sorted(CLOSED_STATES))


def outcome_sql(cases: type[CaseRow]) -> Any:
    """`facts.effective_outcome`."""
    implied = case(
        (cases.state == CaseState.declined.value, literal(Outcome.inadmissible.value)),
        (cases.state == CaseState.withdrawn.value, literal(Outcome.withdrawn.value)),
    )
    return case((closed_sql(cases), func.coalesce(cases.outcome, implied)))


def resolution_sql(cases: type[CaseRow]) -> Any:
    """`facts.effective_resolution`."""
    return case((closed_sql(cases), cases.resolution))


def handler_sql(cases: type[CaseRow]) -> Any:
    """The annual report's handler: `provider` for every complaint that names a provider."""
    return case(
        (and_(cases.provider.is_not(None), cases.provider != ""), literal(Handler.provider.value)),
        else_=cases.handler,
    )


def term_sql(cases: type[CaseRow]) -> Any:
    """`facts.term_status`: within, late or open."""
    return case(
        (
            closed_sql(cases),
            case(
                (or_(cases.decision_due.is_(None), cases.resolved_on.is_(None)), literal("within")),
                (cases.resolved_on <= cases.decision_due, literal("within")),
                else_=literal("late"),
            ),
        ),
        else_=literal("open"),
    )


def contact_sql(cases: type[CaseRow], as_of: date) -> Any:
    """`facts.contact_status` as of `as_of`: within, late or NULL (cannot be said, or no term)."""
    acknowledged, resolved, due = cases.acknowledged_on, cases.resolved_on, cases.contact_due
    return case(
        (due.is_(None), literal(None)),
        # The earliest known contact date is on time when either known date is.
        (
            or_(
                and_(acknowledged.is_not(None), acknowledged <= due),
                and_(resolved.is_not(None), resolved <= due),
            ),
            literal("within"),
        ),
        (or_(acknowledged.is_not(None), resolved.is_not(None)), literal("late")),
        (due < as_of, literal("late")),
        else_=literal(None),
    )


def ombudsman_sql(cases: type[CaseRow]) -> Any:
    return case((or_(cases.ombudsman.is_(True), cases.state == CaseState.ombudsman.value), 1), else_=0)


def name_sql(column: Any) -> Any:
    """`name or UNKNOWN`: a missing or empty name is counted as unknown."""
    return func.coalesce(func.nullif(column, ""), literal(UNKNOWN))


# --- which rows -------------------------------------------------------------------------------


def reported(cases: type[CaseRow]) -> ColumnElement[bool]:
    """The rows reports count: complete and not merged into another (as `queries.read_records`).

    `complete IS NOT false` (the column is never NULL) rather than `IS true`: SQLite, without
    statistics, would otherwise read nearly every row through the `complete` index instead of
    the date or municipality index.
    """
    return and_(cases.complete.is_not(False), cases.merged_into.is_(None))


def received_between(cases: type[CaseRow], first_year: int, last_year: int) -> ColumnElement[bool]:
    return and_(cases.received_on >= date(first_year, 1, 1), cases.received_on <= date(last_year, 12, 31))


async def scope_sql(session: AsyncSession, cases: type[CaseRow], sees: Sees | None) -> ColumnElement[bool]:
    """The caller's scope as a condition: the names it sees, each judged by the platform's rule."""
    return (await _scope(session, cases, sees))[0]


async def scope_with_key(
    session: AsyncSession, cases: type[CaseRow], sees: Sees | None
) -> tuple[ColumnElement[bool], Hashable]:
    """`scope_sql` and a key equal for equal scopes (for `CountsCache`)."""
    return await _scope(session, cases, sees)


async def _scope(
    session: AsyncSession, cases: type[CaseRow], sees: Sees | None
) -> tuple[ColumnElement[bool], Hashable]:
    """The scope condition, and a key that is equal for equal conditions (for the cache).

    `Access.sees(m, p)` is "sees municipality m" or "is provider p"; the names stored are few, so
    each is judged in Python (the rule stays the platform's) and the condition lists them.
    """
    if sees is None or sees(None, None):
        return true(), "all"
    municipalities = [m for m in await _names(session, cases.municipality) if sees(m, None)]
    providers = [p for p in await _names(session, cases.provider) if sees(None, p)]
    if not municipalities and not providers:
        return false(), "none"
    condition = or_(cases.municipality.in_(municipalities), cases.provider.in_(providers))
    return condition, (tuple(municipalities), tuple(providers))


async def _names(session: AsyncSession, column: Any) -> list[str]:
    """The distinct non-null values of an indexed column, in one statement without a full scan."""
    names = _names_cte(column)
    query = select(names.c.name).where(names.c.name.is_not(None))
    return [str(n) for n in (await session.execute(query)).scalars()]


def _names_cte(column: Any) -> Any:
    """The distinct values of an indexed column in order: each the least one above the one before."""
    names = select(func.min(column).label("name")).where(column.is_not(None)).cte("names", recursive=True)
    above = select(func.min(column)).where(column > names.c.name).scalar_subquery()
    return names.union_all(select(above).where(names.c.name.is_not(None)))


# --- the annual report ------------------------------------------------------------------------


async def annual_report_sql(
    session: AsyncSession,
    year: int,
    municipality: str | None = None,
    *,
    as_of: date | None = None,
    learning: Learning | Read | None = None,
    sees: Sees | None = None,
    pset: ProjectionSet | None = None,
    cache: CountsCache | None = None,
    apart: Reading | None = None,
) -> AnnualReport:
    """`annual.annual_report` over the live projection's in-scope rows, counted in SQL.

    Gives exactly the report `annual_report(in_scope(read_facts(year - 3, year)), ...)` gives.
    With a `cache`, the counts are kept per projection version (see `CountsCache`); the learning
    sections are read fresh every time.

    `learning` is the learning sections' inputs, or a read that gives them (run with the counts).
    With `apart` (`Database.reads_apart`), the counting statements and that read run side by
    side, each on a reader session of its own: over all municipalities' years these statements
    take most of a second each. Each session reads the newest committed rows, as each statement
    of one session does on PostgreSQL. Without it they run one after another on `session`.
    """
    as_of = as_of or date(year, 12, 31)
    pset = pset or await live_set(session)
    cases = pset.cases
    scope, scope_key = await _scope(session, cases, sees)
    where = [reported(cases), scope]
    if municipality is not None:
        where.append(cases.municipality == municipality)

    key = await cache.key(session, pset, (year, municipality, as_of, scope_key)) if cache else None
    counted = cache.get(key) if cache is not None else None
    counting: tuple[Read, ...] = ()
    if counted is None:
        counting = (
            *_year_statements(cases, year, as_of, where),
            lambda s: municipality_years(s, cases, year, municipality, where),
        )
    given = learning if isinstance(learning, Learning) else None
    learning_read: tuple[Read, ...] = (learning,) if callable(learning) else ()
    found = await side_by_side(session, apart, *counting, *learning_read)
    inputs: Learning = found.pop() if learning_read else (given or Learning())
    if counted is None:
        counted = _count_tables(year, *found)
        if cache is not None:
            cache.put(key, counted)
    counted = copy.deepcopy(counted)  # the report is the caller's to change
    learned = await _learning_facts(session, cases, year, inputs, where)

    report: AnnualReport = {
        "year": year,
        "total": counted["total"],
        "by_channel": counted["by_channel"],
        "by_kind": counted["by_kind"],
        "by_category": counted["by_category"],
        "by_unit": counted["by_unit"],
        "by_municipality": counted["by_municipality"],
        "by_outcome": counted["by_outcome"],
        "by_resolution": counted["by_resolution"],
        "by_handler": counted["by_handler"],
        "within_term": counted["within_term"],
        "ombudsman": counted["ombudsman"],
        "acknowledged_within_5_working_days": counted["acknowledged_within_5_working_days"],
        "municipality": municipality,
        "as_of": as_of.isoformat(),
        "comparison": counted["comparison"],
        **learning_sections(learned, inputs),
    }
    report["summary_sentences"] = summary_sentences(report)
    return report


def _count_tables(
    year: int,
    shown_rows: Sequence[Mapping[str, Any]],
    judged_rows: Sequence[Mapping[str, Any]],
    by_municipality: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """The report's tables that depend on the case rows only (all but the learning sections),
    from the results of `_year_statements` and `municipality_years`."""
    this_year = _Counts([r for r in shown_rows if r["this_year"]], judged_rows)
    last_year = _Counts([r for r in shown_rows if not r["this_year"]], [])
    return {
        "total": this_year.total,
        "by_channel": this_year.vocabulary(Channel, "channel"),
        "by_kind": this_year.vocabulary(Kind, "kind"),
        "by_category": this_year.vocabulary(Category, "category"),
        "by_unit": _by_unit(this_year),
        "by_municipality": by_municipality,
        "by_outcome": this_year.vocabulary(Outcome, "outcome"),
        "by_resolution": this_year.vocabulary(Resolution, "resolution"),
        "by_handler": this_year.vocabulary(Handler, "handler"),
        "within_term": this_year.terms(),
        "ombudsman": this_year.sum("ombudsman"),
        "acknowledged_within_5_working_days": this_year.contacts(),
        "comparison": {
            "year": year - 1,
            "total": last_year.total,
            "by_kind": last_year.vocabulary(Kind, "kind"),
            "by_channel": last_year.vocabulary(Channel, "channel"),
            "by_category": last_year.vocabulary(Category, "category"),
        },
    }


class CountsCache:
    """Report counts per projection version, in memory, the newest `size` kept.

    The version is the live set, when it was rebuilt, the last logged event and the number of
    events not yet folded: case rows change only when events are folded (`refold_pending`, which
    lowers that number, or grows the log first) or when a rebuild swaps the set. A request after
    any of these reads the counts anew.
    """

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()

    async def version(self, session: AsyncSession, pset: ProjectionSet) -> Hashable:
        log = pset.log
        rebuilt = select(ProjectionState.rebuilt_at).where(ProjectionState.name == POINTER).scalar_subquery()
        unfolded = select(func.count()).select_from(log).where(log.folded.is_(False)).scalar_subquery()
        row = (await session.execute(select(func.max(log.seq), unfolded, rebuilt))).one()
        return (pset.name, *row)

    async def key(self, session: AsyncSession, pset: ProjectionSet, key: Hashable) -> Hashable:
        """The entry's key: read the version *before* the counts, so counts are never older."""
        return (await self.version(session, pset), key)

    def get(self, key: Hashable) -> dict[str, Any] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable, tables: dict[str, Any]) -> None:
        self._entries[key] = tables
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


@dataclass
class _Counts:
    """Counts of one year's rows: `rows` grouped by what both years show (unit, category,
    channel, kind), `judged` by the judgements only this year shows (empty for last year)."""

    rows: Sequence[Mapping[str, Any]]
    judged: Sequence[Mapping[str, Any]]

    @property
    def total(self) -> int:
        return sum(int(r["n"]) for r in self.rows)

    def sum(self, key: str) -> int:
        return sum(int(r[key]) for r in self.judged)

    def tally(self, key: str) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for row in self.rows if key in _SHOWN else self.judged:
            counts[row[key]] = counts.get(row[key], 0) + int(row["n"])
        return counts

    def vocabulary(self, vocabulary: Any, key: str) -> dict[str, int]:
        """As `annual.count_vocabulary`: every value listed, None not counted, unknown values fail."""
        counts = count_vocabulary(vocabulary, ())
        for value, n in self.tally(key).items():
            if value is not None:
                counts[vocabulary(value).value] += n
        return counts

    def terms(self) -> TermCounts:
        tally = self.tally("term")
        return {"within": tally.get("within", 0), "late": tally.get("late", 0), "open": tally.get("open", 0)}

    def contacts(self) -> ContactCounts:
        tally = self.tally("contact")  # None: cannot be said yet, or no contact term
        return {"within": tally.get("within", 0), "late": tally.get("late", 0)}


_SHOWN = ("unit", "category", "channel", "kind")  # grouped in `_Counts.rows`; the rest in `judged`


# Grouped expressions are selected under a label and grouped by that label: PostgreSQL matches a
# GROUP BY expression to the selected one by its text, and SQLAlchemy gives each copy of an
# expression its own bound parameters. The prefix keeps labels apart from column names (which
# PostgreSQL would prefer in GROUP BY).
_PREFIX = "group_"


def _labelled(groups: Mapping[str, Any]) -> list[Any]:
    return [expression.label(_PREFIX + name) for name, expression in groups.items()]


def _by_label(groups: Mapping[str, Any]) -> list[Any]:
    return [literal_column(_PREFIX + name) for name in groups]


def _unlabelled(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key).removeprefix(_PREFIX): value for key, value in row.items()}


def _year_statements(
    cases: type[CaseRow], year: int, as_of: date, where: Sequence[ColumnElement[bool]]
) -> tuple[Read, Read]:
    """This year's and last year's counts, in two statements over the rows of the index: rows
    grouped by what both years show, and this year's rows grouped by the judgements.

    What both years show (unit, category, channel, kind) is grouped over the two years; the
    judgements only this year shows (outcome, resolution, handler, terms) over this year. Two
    narrow groupings cost less than one over all ten values: a database groups by sorting, and
    sorting every row by ten keys was most of the time (the rows come from a covering index).
    """
    shown = {
        "this_year": cases.received_on >= date(year, 1, 1),
        "unit": name_sql(cases.unit),
        "category": cases.category,
        "channel": cases.channel,
        "kind": cases.kind,
    }
    judged = {
        "outcome": outcome_sql(cases),
        "resolution": resolution_sql(cases),
        "handler": handler_sql(cases),
        "term": term_sql(cases),
        "contact": contact_sql(cases, as_of),
    }
    both_years = (
        select(*_labelled(shown), func.count().label("n"))
        .where(*where, received_between(cases, year - 1, year))
        .group_by(*_by_label(shown))
    )
    this_year = (
        select(*_labelled(judged), func.count().label("n"), func.sum(ombudsman_sql(cases)).label("ombudsman"))
        .where(*where, received_between(cases, year, year))
        .group_by(*_by_label(judged))
    )

    def grouped(statement: Select[Any]) -> Read:
        async def read(session: AsyncSession) -> list[dict[str, Any]]:
            return [_unlabelled(r._mapping) for r in await session.execute(statement)]

        return read

    return grouped(both_years), grouped(this_year)


async def side_by_side(session: AsyncSession, apart: Reading | None, *reads: Read) -> list[Any]:
    """Each read's result, in order: run at once, each on a session of `apart`'s, or one after
    another on `session` without it."""
    if apart is None:
        return [await read(session) for read in reads]

    async def on_its_own(read: Read) -> Any:
        async with apart() as own:
            return await read(own)

    return list(await asyncio.gather(*(on_its_own(read) for read in reads)))


def _by_unit(this_year: _Counts) -> dict[str, dict[str, int]]:
    """`by_unit`: every unit seen (in `ordered_names` order), each with every category."""
    found = [(str(r["unit"]), r["category"], int(r["n"])) for r in this_year.rows]
    table = {name: count_vocabulary(Category, ()) for name in ordered_names(u for u, _, _ in found)}
    for name, category, n in found:
        table[name][Category(category).value] += n
    return table


async def municipality_years(
    session: AsyncSession,
    cases: type[CaseRow],
    year: int,
    municipality: str | None,
    where: Sequence[ColumnElement[bool]],
) -> dict[str, dict[str, int]]:
    """`by_municipality`: registrations per municipality in this year and the three before.

    Counted per name and year, each a range of the (municipality, received_on, ...) index:
    the names one index step each (as `_names_cte`), rows without a name apart. No sort of the
    four years' rows, which grouping by name would need.
    """
    years = range(year - MUNICIPALITY_YEARS + 1, year + 1)
    names = _names_cte(cases.municipality)

    def counted(named: ColumnElement[bool]) -> list[Any]:
        return [
            select(func.count()).where(*where, named, received_between(cases, y, y)).scalar_subquery()
            for y in years
        ]

    named = select(names.c.name, *counted(cases.municipality == names.c.name))
    named = named.where(names.c.name.is_not(None))
    nameless = select(literal(None), *counted(cases.municipality.is_(None)))
    found: dict[str, list[int]] = {}
    for row in [*await session.execute(named), *await session.execute(nameless)]:
        counts = [int(n) for n in row[1:]]
        if any(counts):  # as `name_sql`: a missing or empty name is counted as unknown
            name = str(row[0] or UNKNOWN)
            found[name] = [a + b for a, b in zip(found.get(name, [0] * len(years)), counts, strict=True)]
    names_shown = [municipality] if municipality is not None else ordered_names(found)
    table = {n: {str(y): 0 for y in years} for n in names_shown}
    for n, counts in found.items():
        table[n] = {str(y): c for y, c in zip(years, counts, strict=True)}
    return table


async def _learning_facts(
    session: AsyncSession,
    cases: type[CaseRow],
    year: int,
    learning: Learning,
    where: Sequence[ColumnElement[bool]],
) -> list[CaseFacts]:
    """This year's facts of the complaints with feedback or norms: all the learning tables judge."""
    ids = set(learning.answers) | set(learning.norms)
    found = await facts_by_id(session, cases, ids, [*where, received_between(cases, year, year)])
    return list(found.values())


async def facts_by_id(
    session: AsyncSession,
    cases: type[CaseRow],
    ids: Iterable[str] | None,
    where: Sequence[ColumnElement[bool]],
) -> dict[str, CaseFacts]:
    """The facts of the complaints that meet `where`, by id in id order (as Python orders text):
    of these `ids` (read in chunks of `ID_CHUNK`), or with `ids=None` of every complaint."""
    if ids is None:
        chosen = [list(where)]
    else:
        wanted = sorted(set(ids))
        chosen = [[*where, cases.id.in_(wanted[s : s + ID_CHUNK])] for s in range(0, len(wanted), ID_CHUNK)]
    found: dict[str, CaseFacts] = {}
    for condition in chosen:
        query = select(cases).where(*condition)
        found.update((r.id, facts_of_row(r)) for r in (await session.execute(query)).scalars())
    return {i: found[i] for i in sorted(found)}


# --- the dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCounts:
    """The dashboard's figures on open cases (decision term, as of `today`)."""

    open: int
    at_risk: int  # due today or within `horizon` days
    overdue: int
    urgent: int


def open_sql(cases: type[CaseRow]) -> ColumnElement[bool]:
    """The dashboard's open cases: rows in an open state."""
    return cases.state.in_(sorted(OPEN_STATES))


async def open_counts(
    session: AsyncSession,
    cases: type[CaseRow],
    today: date,
    horizon: date,
    where: Sequence[ColumnElement[bool]],
) -> OpenCounts:
    due = cases.decision_due
    row = (
        await session.execute(
            select(
                func.count(),
                func.sum(case((and_(due >= today, due <= horizon), 1), else_=0)),
                func.sum(case((due < today, 1), else_=0)),
                func.sum(case((cases.urgent.is_(True), 1), else_=0)),
            ).where(*where, open_sql(cases))
        )
    ).one()
    return OpenCounts(*(int(n or 0) for n in row))


def _text_order(session: AsyncSession, column: Any) -> Any:
    """Order text as Python compares it (by code point), whatever the database's collation."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


async def open_by_due(
    session: AsyncSession, cases: type[CaseRow], limit: int | None, where: Sequence[ColumnElement[bool]]
) -> list[CaseFacts]:
    """Open cases, shortest decision term first (no due date last), then by reference and id."""
    query = (
        select(cases)
        .where(*where, open_sql(cases))
        .order_by(
            case((cases.decision_due.is_(None), 1), else_=0),
            cases.decision_due,
            _text_order(session, cases.reference),
            _text_order(session, cases.id),
        )
        .limit(limit)
    )
    return [facts_of_row(r) for r in (await session.execute(query)).scalars()]


async def municipalities_between(
    session: AsyncSession,
    cases: type[CaseRow],
    first_year: int,
    last_year: int,
    where: Sequence[ColumnElement[bool]],
) -> list[str]:
    """The municipalities with a registration in these years, alphabetically (case-insensitive).

    One statement: the names one index step each (a recursive CTE), each kept when one of its
    rows in the years meets `where`; no pass over the years' rows.
    """
    names = _names_cte(cases.municipality)
    held = (
        select(cases.id)
        .where(*where, cases.municipality == names.c.name, received_between(cases, first_year, last_year))
        .exists()
    )
    query = select(names.c.name).where(names.c.name.is_not(None), names.c.name != "", held)
    found = [str(n) for n in (await session.execute(query)).scalars()]
    return sorted(found, key=lambda n: (n.casefold(), n))
