"""What the wallet's pages show, shaped from what the wallet holds: pure functions, no I/O.

- Emissions credentials (W3C VC dicts as the agent returns them) become `EmissionsRow`s, grouped
  by utility account, calendar year and GHG scope (`group_rows`), newest year and month first, with
  annual totals and, for electricity (Scope 2), the chart's points. Gas burned on site (Scope 1)
  is its own inventory, so an account billed for both shows two groups, never one sum. A credential the wallet cannot read is skipped (`unreadable`
  counts them); a re-issue of a period (same account and service point, overlapping period)
  hides the older credential, and the group says how many were hidden.
- Account credentials (the utility's UtilityAccountCredential) become `AccountRow`s (`accounts`).
- Consent requests (the wallet's `ConsentRecord`s) become `ConsentView`s in plain words.

Figures stay `Decimal`s as the credential states them (strings in the credential), so the totals
are exact sums of what was signed.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from controllers.customer.chart import MonthPoint
from controllers.customer.store import ConsentRecord
from credentials import vocabulary as v
from credentials.emissions import CREDENTIAL_TYPE, CredentialFormatError, read_emissions_credential

__all__ = [
    "EmissionsRow",
    "AccountYear",
    "AccountRow",
    "ConsentView",
    "emissions_row",
    "rows",
    "rows_by_record",
    "find_row",
    "unreadable",
    "group_rows",
    "accounts",
    "consent_view",
    "progress",
    "credential_path",
    "group_key",
    "equal_reason",
    "period_words",
    "date_words",
    "instant_words",
    "scope_words",
    "number",
    "fuel_words",
    "STATE_WORDS",
]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_ZERO = Decimal(0)


# ---------------------------------------------------------------- words and numbers

def number(value: Decimal | int | float) -> str:
    """A figure for people: thousands separators and exactly the decimals it was stated with (the
    credential's "0.099470" stays "0.099470"; "1234.5" becomes "1,234.5"; "1E+3" becomes "1,000")."""
    value = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = f"{value:,f}"
    return "0" if text == "-0" else text


def fuel_words(fuel: str | None) -> str:
    """"natural_gas" -> "natural gas"."""
    return (fuel or "fuel").replace("_", " ")


def date_words(day: date) -> str:
    """date(2024, 3, 1) -> "1 March 2024"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def instant_words(text: str) -> str:
    """An RFC 3339 instant as "30 June 2025" (plus ", 14:30 UTC" when not at midnight UTC); text
    that is not an instant is returned as it came."""
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) else None
    except ValueError:
        instant = None
    if instant is None:
        return str(text)
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC)
    words = date_words(instant.date())
    if (instant.hour, instant.minute, instant.second) != (0, 0, 0):
        words += f", {instant:%H:%M} UTC"
    return words


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _month_end(start: date, end: date) -> date | None:
    """The last month a period covers when it ends on a month boundary: either the month's last day
    (inclusive end, as consents state periods) or the next month's first day (the ledger's
    exclusive end, as emissions credentials state them); None otherwise."""
    if end.day == _last_day(end) and end >= start:
        return end
    if end.day == 1 and end > start:
        return end - timedelta(days=1)
    return None


def period_words(start: date | str, end: date | str) -> str:
    """A period in words: "March 2024", "January to December 2024", "November 2023 to February 2024",
    or "15 January 2024 to 14 February 2024" when it does not follow whole months."""
    try:
        start = date.fromisoformat(start) if isinstance(start, str) else start
        end = date.fromisoformat(end) if isinstance(end, str) else end
    except ValueError:
        return f"{start} to {end}"
    last = _month_end(start, end) if start.day == 1 else None
    if last is None:
        return date_words(start) if start == end else f"{date_words(start)} to {date_words(end)}"
    first_name, last_name = _MONTHS[start.month - 1], _MONTHS[last.month - 1]
    if (start.year, start.month) == (last.year, last.month):
        return f"{first_name} {start.year}"
    if start.year == last.year:
        return f"{first_name} to {last_name} {start.year}"
    return f"{first_name} {start.year} to {last_name} {last.year}"


SCOPE_WORDS: dict[str, str] = {
    v.SCOPE_USAGE: "your meter readings (how much electricity you used, interval by interval)",
    v.SCOPE_BILLING: "your bills (billing periods, usage summaries and their costs)",
}


def scope_words(scope: object) -> tuple[str, ...]:
    """Each scope value in words, known ones in a fixed order, unknown ones quoted and flagged."""
    values = [scope] if isinstance(scope, str) else list(scope) if isinstance(scope, (list, tuple, set, frozenset)) else []
    known = [SCOPE_WORDS[s] for s in (v.SCOPE_USAGE, v.SCOPE_BILLING) if s in values]
    unknown = [f"“{s}” (a kind of data this wallet does not recognise)" for s in values
               if s not in SCOPE_WORDS]
    return tuple(known + unknown)


def _and(items: Sequence[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def credential_path(credential_id: str) -> str:
    """The wallet page of a held credential: /credentials/<id, percent-encoded as one segment>."""
    return "/credentials/" + quote(credential_id, safe="")


# ---------------------------------------------------------------- emissions credentials

@dataclass(frozen=True)
class EmissionsRow:
    """One held emissions credential (one anchored billing period) as the pages show it."""

    credential_id: str
    account: str
    service_point: str
    utility: str  # EIA-861 utility number, as text
    period_start: date
    period_end: date  # as the credential states it (the ledger's period end, its date part)
    kwh: Decimal | None  # Scope 2 figures; None on a Scope 1 (fuel) credential
    tco2e_location: Decimal | None
    tco2e_market: Decimal | None
    equal_reason: str | None  # why market-based equals location-based, when it does
    record_id: str
    tx_id: str
    block_number: int
    channel: str
    bill_content_id: str
    bill_sha256: str
    issuer: str
    issued: datetime
    factor_edition: str
    location_factor: str | None = None  # kg CO2e per kWh, as stated
    market_factor: str | None = None
    location_source: str | None = None  # e.g. "eGRID2023 subregion CAMX"
    market_method: str | None = None  # supplier-specific, residual-mix or location-fallback
    hourly_intervals: int = 0  # interval readings the record (and so the credential) carries
    scope: int = 2  # GHG Protocol scope: 2 purchased electricity, 1 fuel burned on site
    fuel: str | None = None  # Scope 1 figures, as stated; None on a Scope 2 credential
    fuel_quantity: Decimal | None = None  # in fuel_unit, as billed
    fuel_unit: str | None = None
    fuel_mmbtu: Decimal | None = None
    tco2e_scope1: Decimal | None = None
    gwp_set: str | None = None
    factor_source: str | None = None
    fuel_factors: Mapping[str, str] = field(default_factory=dict)  # claim term -> per-mmBtu factor as stated

    @property
    def fuel_label(self) -> str:
        """"50 therm of natural gas"."""
        return f"{number(self.fuel_quantity or _ZERO)} {self.fuel_unit} of {fuel_words(self.fuel)}"

    @property
    def month(self) -> str:
        """"YYYY-MM" of the period's start: the chart's label and the month it is listed under."""
        return self.period_start.isoformat()[:7]

    @property
    def year(self) -> int:
        return self.period_start.year

    @property
    def period_label(self) -> str:
        return period_words(self.period_start, self.period_end)

    @property
    def path(self) -> str:
        return credential_path(self.credential_id)

    @property
    def group_key(self) -> str:
        """The id of its account-year section on the credentials page."""
        return group_key(self.utility, self.account, self.year, self.scope)

    @property
    def issued_label(self) -> str:
        return date_words(self.issued.date())

    @property
    def market_method_words(self) -> str | None:
        return {
            "supplier-specific": "your utility's supplier-specific factor",
            "residual-mix": "the residual-mix factor registered for your utility",
            "location-fallback": "no market factor registered: the grid-average (location-based) factor stands in",
        }.get(self.market_method or "", self.market_method)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise CredentialFormatError(f"{what} is not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise CredentialFormatError(f"{what} must be a non-negative number: {text!r}")
    if value and abs(value.adjusted()) > 15:  # no meter reads 1e16 kWh or 1e-16 t; sums must stay exact
        raise CredentialFormatError(f"{what} is out of any plausible range: {text[:40]!r}")
    return value


def _dig(document: object, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _text_or_none(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool) else None


def equal_reason(kwh: Decimal, location: Decimal, market: Decimal, *, market_method: str | None,
                 location_source: str | None, location_factor: str | None, market_factor: str | None,
                 utility: str, year: int) -> str | None:
    """Why the market-based figure equals the location-based one, in words; None when they differ.

    The ledger computes market-based emissions with a supplier-specific factor registered for the
    utility, else a residual-mix factor, else (flagged "location-fallback") the location-based grid
    average itself, as the GHG Protocol Scope 2 Guidance directs when no market factor exists."""
    if location != market:
        return None
    if kwh == 0:
        return "Both figures are zero because no electricity was used in this period."
    if market_method == "location-fallback":
        grid = f" ({location_source})" if location_source else ""
        return (f"Market-based equals location-based: no supplier-specific or residual-mix emission factor is "
                f"registered on the ledger for utility EIA {utility} for {year}, so the market-based figure uses "
                f"the grid-average eGRID factor{grid}, as the GHG Protocol Scope 2 Guidance directs when no "
                f"market factor exists. Certificates or green tariffs you hold yourself are not part of this record.")
    if market_method in {"supplier-specific", "residual-mix"}:
        if location_factor is not None and location_factor == market_factor:
            return (f"Market-based equals location-based: the {market_method} factor registered for utility "
                    f"EIA {utility} is the same as the grid-average factor, {location_factor} kg CO2e per kWh.")
        return (f"Market-based equals location-based at the six decimal places tonnes are rounded to: the "
                f"{market_method} factor and the grid-average factor differ too little to change the figure.")
    if location_factor is not None and location_factor == market_factor:
        return (f"Market-based equals location-based: both were computed with the same emission factor, "
                f"{location_factor} kg CO2e per kWh; the credential does not say why no other market-based "
                f"factor applied.")
    return ("Market-based equals location-based at the six decimal places tonnes are rounded to; the credential "
            "does not say which market-based factor was used.")


def emissions_row(credential: Mapping[str, Any]) -> EmissionsRow:
    """One emissions credential read strictly; CredentialFormatError names what is wrong."""
    claims = read_emissions_credential(credential)
    try:
        start, end = date.fromisoformat(claims.period_start), date.fromisoformat(claims.period_end)
    except ValueError:
        raise CredentialFormatError("periodStart and periodEnd must be dates (YYYY-MM-DD)") from None
    if end < start:
        raise CredentialFormatError("the period ends before it starts")
    common = dict(
        credential_id=claims.credential_id,
        account=claims.account_id,
        service_point=claims.service_point_id,
        utility=str(claims.utility_id),
        period_start=start,
        period_end=end,
        record_id=claims.anchor.record_id,
        tx_id=claims.anchor.transaction_id,
        block_number=claims.anchor.block_number,
        channel=claims.anchor.channel,
        bill_content_id=claims.bill_content_id,
        bill_sha256=claims.bill_sha256,
        issuer=claims.issuer,
        issued=claims.issued,
        factor_edition=claims.factor_edition,
        scope=claims.scope,
    )
    if claims.scope == 1:
        return EmissionsRow(
            **common, kwh=None, tco2e_location=None, tco2e_market=None, equal_reason=None,
            fuel=claims.fuel, fuel_quantity=_decimal(claims.fuel_quantity, "fuelQuantity"), fuel_unit=claims.fuel_unit,
            fuel_mmbtu=_decimal(claims.fuel_mmbtu, "fuelEnergyMmbtu"),
            tco2e_scope1=_decimal(claims.scope1_tco2e, "scope1Tco2e"), gwp_set=claims.gwp_set,
            factor_source=claims.factor_source, fuel_factors=dict(claims.fuel_factors))
    kwh = _decimal(claims.kwh, "electricityKwh")
    location = _decimal(claims.location_tco2e, "locationBasedTco2e")
    market = _decimal(claims.market_tco2e, "marketBasedTco2e")
    subject = credential.get("credentialSubject") or {}
    factor = subject.get("emissionFactor") if isinstance(subject, Mapping) else None
    detail = _dig(claims.record_detail, "emissions")
    market_method = _text_or_none(_dig(detail, "market", "method"))
    if market_method is None and _dig(detail, "market", "fallback") is True:
        market_method = "location-fallback"
    location_source = _text_or_none(_dig(detail, "location", "source")) or _text_or_none(_dig(factor, "factorSource"))
    location_factor = (_text_or_none(_dig(factor, "locationFactorKgPerKwh"))
                       or _text_or_none(_dig(detail, "location", "factor", "co2e_kg_per_kwh")))
    market_factor = (_text_or_none(_dig(factor, "marketFactorKgPerKwh"))
                     or _text_or_none(_dig(detail, "market", "factor", "co2e_kg_per_kwh")))
    hourly = _dig(detail, "hourly")
    return EmissionsRow(
        **common,
        kwh=kwh,
        tco2e_location=location,
        tco2e_market=market,
        equal_reason=equal_reason(kwh, location, market, market_method=market_method,
                                  location_source=location_source, location_factor=location_factor,
                                  market_factor=market_factor, utility=common["utility"], year=start.year),
        location_factor=location_factor,
        market_factor=market_factor,
        location_source=location_source,
        market_method=market_method,
        hourly_intervals=len(hourly) if isinstance(hourly, list) else 0,
    )


def _is_emissions(credential: object) -> bool:
    return isinstance(credential, Mapping) and CREDENTIAL_TYPE in (credential.get("type") or [])


def rows(credentials: Iterable[Mapping[str, Any]]) -> list[EmissionsRow]:
    """Every readable emissions credential held (re-issues included), in the order given; one per
    credential id."""
    out: dict[str, EmissionsRow] = {}
    for credential in credentials:
        if not _is_emissions(credential):
            continue
        try:
            row = emissions_row(credential)
        except CredentialFormatError:
            continue
        out.setdefault(row.credential_id or f"#{len(out)}", row)
    return list(out.values())


def unreadable(credentials: Iterable[Mapping[str, Any]]) -> int:
    """How many held credentials say they are emissions credentials but cannot be read."""
    count = 0
    for credential in credentials:
        if _is_emissions(credential):
            try:
                emissions_row(credential)
            except CredentialFormatError:
                count += 1
    return count


def rows_by_record(credentials: Iterable[Mapping[str, Any]]) -> dict[str, EmissionsRow]:
    """Readable emissions credentials by ledger record id (what a sharing request names)."""
    return {row.record_id: row for row in rows(credentials)}


def find_row(credentials: Iterable[Mapping[str, Any]], credential_id: str) -> EmissionsRow | None:
    """The held emissions credential with this id, or None."""
    return next((row for row in rows(credentials) if row.credential_id == credential_id), None)


@dataclass(frozen=True)
class AccountYear:
    """One utility account's emissions credentials of one GHG scope in one calendar year (by
    period start). The Scope 2 totals are zero in a Scope 1 group, and the Scope 1 ones in a
    Scope 2 group."""

    utility: str
    account: str
    year: int
    rows: tuple[EmissionsRow, ...]  # newest period first
    total_kwh: Decimal
    total_location: Decimal
    total_market: Decimal
    superseded: int  # older credentials for the same periods, hidden because re-issued
    points: tuple[MonthPoint, ...] = field(default=())  # the chart's months, oldest first (Scope 2)
    scope: int = 2
    total_scope1: Decimal = _ZERO  # tCO2e
    total_mmbtu: Decimal = _ZERO
    fuel_used: tuple[tuple[str, Decimal], ...] = ()  # (unit, total) per unit billed, e.g. (("therm", 600),)
    fuels: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A stable token for element ids and anchors (letters, digits and hyphens)."""
        return group_key(self.utility, self.account, self.year, self.scope)

    @property
    def title(self) -> str:
        """"Account ACCT-1, 2024"; a Scope 1 group names its fuel, as the same account may hold both."""
        base = f"Account {self.account}, {self.year}"
        return f"{base}, {' and '.join(fuel_words(f) for f in self.fuels)} (Scope 1)" if self.scope == 1 else base

    @property
    def service_points(self) -> tuple[str, ...]:
        return tuple(sorted({row.service_point for row in self.rows}))

    @property
    def months(self) -> int:
        return len({row.month for row in self.rows})


def group_key(utility: str, account: str, year: int, scope: int = 2) -> str:
    """The id of an account-year's section on the credentials page (ASCII letters, digits, hyphens);
    a Scope 1 section's ends in "-scope1"."""
    raw = f"{utility}-{account}-{year}" + ("-scope1" if scope == 1 else "")
    safe = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in raw)
    if safe != raw:  # keep ids apart when unusual characters were replaced
        safe += "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return "acct-" + safe


def _overlap(a: EmissionsRow, b: EmissionsRow) -> bool:
    def span(row: EmissionsRow) -> tuple[date, date]:
        return row.period_start, max(row.period_end, row.period_start + timedelta(days=1))

    (a0, a1), (b0, b1) = span(a), span(b)
    return (a.period_start, a.period_end) == (b.period_start, b.period_end) or (a0 < b1 and b0 < a1)


def _points(group: Sequence[EmissionsRow]) -> tuple[MonthPoint, ...]:
    by_month: dict[str, list[Decimal]] = {}
    for row in group:
        if row.scope != 2:
            continue
        sums = by_month.setdefault(row.month, [_ZERO, _ZERO, _ZERO])
        sums[0] += row.kwh
        sums[1] += row.tco2e_location
        sums[2] += row.tco2e_market
    return tuple(MonthPoint(month, float(k), float(loc), float(mkt))
                 for month, (k, loc, mkt) in sorted(by_month.items()))


def group_rows(credentials: Iterable[Mapping[str, Any]], *, keep_superseded: bool = False) -> list[AccountYear]:
    """Held emissions credentials by (utility account, year): newest year first (then utility and
    account), rows newest period first, annual totals, chart points oldest first. Of credentials
    for the same account and service point whose periods overlap (a re-issue: the ledger refuses
    overlapping records unless one supersedes another), only the latest issued is kept, and the
    group of the one kept counts the others in `superseded`; `keep_superseded` keeps them all
    (and counts none), e.g. to find any held credential by id. Other credentials are skipped."""
    kept: list[EmissionsRow] = []
    superseded: dict[tuple[str, str, int], int] = {}
    for row in sorted(rows(credentials), key=lambda r: (r.issued, r.record_id), reverse=True):
        # Gas and electricity of one service point overlap in time without replacing each other.
        newer = None if keep_superseded else next(
            (k for k in kept if (k.utility, k.account, k.service_point, k.scope)
             == (row.utility, row.account, row.service_point, row.scope) and _overlap(k, row)), None)
        if newer is None:
            kept.append(row)
        else:
            where = (newer.utility, newer.account, newer.year, newer.scope)
            superseded[where] = superseded.get(where, 0) + 1

    groups: dict[tuple[str, str, int, int], list[EmissionsRow]] = {}
    for row in kept:
        groups.setdefault((row.utility, row.account, row.year, row.scope), []).append(row)
    out = []
    for (utility, account, year, scope), members in groups.items():
        members.sort(key=lambda r: (r.period_start, r.period_end, r.service_point), reverse=True)
        used: dict[str, Decimal] = {}
        for r in members:
            if r.fuel_unit is not None:
                used[r.fuel_unit] = used.get(r.fuel_unit, _ZERO) + (r.fuel_quantity or _ZERO)
        out.append(AccountYear(
            utility=utility, account=account, year=year, rows=tuple(members),
            total_kwh=sum((r.kwh or _ZERO for r in members), _ZERO),
            total_location=sum((r.tco2e_location or _ZERO for r in members), _ZERO),
            total_market=sum((r.tco2e_market or _ZERO for r in members), _ZERO),
            superseded=superseded.get((utility, account, year, scope), 0),
            points=_points(members),
            scope=scope,
            total_scope1=sum((r.tco2e_scope1 or _ZERO for r in members), _ZERO),
            total_mmbtu=sum((r.fuel_mmbtu or _ZERO for r in members), _ZERO),
            fuel_used=tuple(sorted(used.items())),
            fuels=tuple(sorted({r.fuel for r in members if r.fuel})),
        ))
    out.sort(key=lambda g: (-g.year, g.utility, g.account, -g.scope))
    return out


# ---------------------------------------------------------------- account credentials

@dataclass(frozen=True)
class AccountRow:
    """A held UtilityAccountCredential: which account and service point the utility attests."""

    credential_id: str | None
    utility: str
    account: str
    service_point: str
    issuer: str
    issued: str  # in words, e.g. "2 April 2024"


def _issuer(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return str(issuer or "?")


def accounts(credentials: Iterable[Mapping[str, Any]]) -> list[AccountRow]:
    """Held account credentials, by utility then account; unreadable ones skipped."""
    out = []
    for credential in credentials:
        if not isinstance(credential, Mapping) or v.ACCOUNT_TYPE not in (credential.get("type") or []):
            continue
        subject = credential.get("credentialSubject")
        if not isinstance(subject, Mapping):
            continue
        utility, account = subject.get("utilityEiaId"), subject.get("accountId")
        if not isinstance(utility, str) or not isinstance(account, str) or not account:
            continue
        issued = credential.get("issuanceDate")
        out.append(AccountRow(
            credential_id=str(credential["id"]) if credential.get("id") else None,
            utility=utility, account=account, service_point=str(subject.get("servicePointId") or ""),
            issuer=_issuer(credential), issued=instant_words(issued) if isinstance(issued, str) else "",
        ))
    return sorted(out, key=lambda a: (a.utility, a.account, a.service_point))


# ---------------------------------------------------------------- consent requests

STATE_WORDS: dict[str, str] = {
    "pending": "Waiting for your answer",
    "approved": "Approved, being sent",
    "issued": "Granted",
    "declined": "Declined",
    "failed": "Could not be sent",
    "revoked": "Revoked",
}


@dataclass(frozen=True)
class ConsentView:
    """A consent request (what the auditor proposed) in plain words."""

    id: str  # the agent's credential exchange id: the page's /consents/{id}
    auditor_did: str
    account: str
    utility: str
    months: str  # e.g. "January to December 2024"
    data: tuple[str, ...]  # each kind of data asked for, in words
    purpose: str
    until: str  # when the consent would expire, in words
    state: str
    reason: str | None

    @property
    def data_phrase(self) -> str:
        return _and(list(self.data)) or "data it does not name"

    @property
    def state_words(self) -> str:
        return STATE_WORDS.get(self.state, self.state)

    @property
    def pending(self) -> bool:
        return self.state == "pending"

    @property
    def revocable(self) -> bool:
        return self.state == "issued"

    @property
    def path(self) -> str:
        return "/consents/" + quote(self.id, safe="")


def consent_view(record: ConsentRecord) -> ConsentView:
    subject = record.proposal.get("credentialSubject") if isinstance(record.proposal, Mapping) else None
    subject = subject if isinstance(subject, Mapping) else {}

    def text(key: str, missing: str) -> str:
        value = subject.get(key)
        return str(value) if isinstance(value, (str, int)) and str(value) else missing

    start, end = subject.get("periodStart"), subject.get("periodEnd")
    months = period_words(start, end) if isinstance(start, str) and isinstance(end, str) else "a period it does not state"
    expires = subject.get("consentExpires")
    return ConsentView(
        id=record.cred_ex_id,
        auditor_did=text("id", "an unnamed auditor"),
        account=text("accountId", "?"),
        utility=text("utilityEiaId", "?"),
        months=months,
        data=scope_words(subject.get("scope")),
        purpose=text("purpose", "a purpose it does not state"),
        until=instant_words(expires) if isinstance(expires, str) else "no stated end",
        state=record.state,
        reason=record.reason,
    )


def _months_between(start: date, end: date) -> list[str]:
    """The "YYYY-MM" months a period touches (end as stated; a ledger-style end on the 1st of a
    month does not count that month)."""
    last = end - timedelta(days=1) if end.day == 1 and end > start else end
    months, year, month = [], start.year, start.month
    while (year, month) <= (last.year, last.month) and len(months) < 1200:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def progress(consents: Iterable[ConsentRecord], credentials: Iterable[Mapping[str, Any]], *,
             now: datetime | None = None) -> list[str]:
    """One sentence per audit still in progress: a granted consent (pass the "issued" records)
    whose months the wallet does not yet hold emissions credentials for, and that has not expired
    (at `now`, default the current time). E.g. "Account ACCT-1, January to December 2024 (Scope 2
    emissions audit): emissions credentials for 3 of 12 months so far." Newest consent first."""
    now = now or datetime.now(UTC)
    held = rows(credentials)
    out = []
    for record in consents:
        if record.state != "issued":
            continue
        view = consent_view(record)
        subject = record.proposal.get("credentialSubject") if isinstance(record.proposal, Mapping) else None
        subject = subject if isinstance(subject, Mapping) else {}
        try:
            start = date.fromisoformat(str(subject.get("periodStart")))
            end = date.fromisoformat(str(subject.get("periodEnd")))
        except ValueError:
            continue
        expires = subject.get("consentExpires")
        try:
            expiry = datetime.fromisoformat(str(expires).replace("Z", "+00:00")) if isinstance(expires, str) else None
        except ValueError:
            expiry = None
        if expiry is not None and expiry.tzinfo is not None and expiry <= now:
            continue
        wanted = _months_between(start, end)
        have = {row.month for row in held
                if row.account == view.account and row.utility == view.utility and row.month in wanted}
        if not wanted or len(have) >= len(wanted):
            continue
        out.append(f"Account {view.account}, {view.months} ({view.purpose}): emissions credentials for "
                   f"{len(have)} of {len(wanted)} months so far.")
    return list(reversed(out))
