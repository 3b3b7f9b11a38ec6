"""The public request and response shapes of intake's JSON API (DESIGN.md)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from klachtstroom.contracts.timekeeping import moment_of
from klachtstroom.contracts.vocabulary import Category, Channel, Kind
from klachtstroom.intake.personal_data import is_valid_bsn

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ComplainantIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    bsn: str | None = None
    # Consent: the provider of a referred complaint may call or mail the complainant (default no).
    provider_may_contact: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValueError("geen geldig e-mailadres")
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and len(re.sub(r"\D", "", value)) < 6:
            raise ValueError("geen geldig telefoonnummer")
        return value or None

    @field_validator("bsn")
    @classmethod
    def _bsn(cls, value: str | None) -> str | None:
        if value and not is_valid_bsn(value):
            raise ValueError("geen geldig burgerservicenummer (de elfproef klopt niet)")
        return value or None


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    channel: Channel
    description: str = Field(min_length=1, max_length=50_000)
    received_at: datetime | date | None = None
    complainant: ComplainantIn = Field(default_factory=ComplainantIn)
    municipality: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    about_employee: str | None = Field(default=None, max_length=200)
    category: Category | None = None
    kind: Kind | None = None
    urgent: bool | None = None
    formal: bool | None = None
    handover_note: str | None = Field(default=None, max_length=5000)
    # "Wat wilt u bereiken?": what the complainant wants to achieve, in their own words.
    desired_outcome: str | None = Field(default=None, max_length=5000)

    @field_validator("received_at", mode="before")
    @classmethod
    def _date_stays_a_date(cls, value: object) -> object:
        # "2026-03-03" is a day, not midnight: terms and report years follow the Dutch date.
        if isinstance(value, str) and len(value.strip()) == 10:
            return date.fromisoformat(value.strip())
        return value

    @field_validator("received_at")
    @classmethod
    def _plausible(cls, value: datetime | date | None) -> datetime | date | None:
        # Registrations after the fact and imported registers reach back years; a typo such as
        # 2062 or 1926 does not. (Tests and imports may use dates later this year.)
        if value is not None:
            moment = moment_of(value)
            if moment.year < 1990 or moment > datetime.now(UTC) + timedelta(days=730):
                raise ValueError("de datum van ontvangst is niet aannemelijk")
        return value

    def received_moment(self, now: datetime) -> datetime:
        """The moment of receipt: the given day or moment, else `now` (the service clock's)."""
        return moment_of(self.received_at) if self.received_at is not None else now


class Accepted(BaseModel):
    id: str
    reference: str
    status_url: str


class ComplaintStatus(BaseModel):
    """What the complainant may see: no internal notes, no names of employees."""

    id: str
    reference: str
    status: str
    status_text: str
    channel: Channel
    kind: Kind
    category: Category
    received_at: datetime
    updated_at: datetime
    outcome: str | None = None
    desired_outcome: str | None = None


class StaffComplaint(ComplaintStatus):
    """The complaint as staff see it, with its texts: the owner's answer to a claim check
    (routing's case page and provider hand-over ask for it; events never carry these texts)."""

    description: str
    about_employee: str | None = None
    handover_note: str | None = None
    municipality: str | None = None
    unit: str | None = None
    provider: str | None = None
    urgent: bool = False
    formal: bool = False


class TriageIn(BaseModel):
    text: str = Field(max_length=100_000)


class TriageOut(BaseModel):
    kind: Kind
    category: Category
    urgent: bool
    confidence: float
    reasons: list[str]
    check: bool = False  # below the confidence threshold: "controleer de indeling"


class TriageOverrideIn(BaseModel):
    kind: Kind
    category: Category
    urgent: bool
    actor: str = Field(min_length=1, max_length=200)
