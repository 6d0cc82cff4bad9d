"""The Green Button data custodian's resources: which feed an account gets, and which part of it
an ESPI REST path names.

Feeds come from the project's generator, seeded by a keyed hash of the account, so the same
account always gets the same data and nobody can derive the seed (or the account) from a feed.
Paths carry an opaque subscription id, never the account.

A path is either an entry (its URL is some entry's `self` link) or a collection (its URL is the
`up` link of the entries it lists), so one rule serves every ESPI resource the generator writes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, timedelta

from lxml import etree

from credentials import vocabulary as v
from credentials.consent import Period
from greenbutton import generate_feed
from greenbutton.generator import BASE as GENERATOR_BASE

ROOT = "/espi/1_1/resource"
MAX_DAYS = 400  # one request never asks the generator for more than about a year of hourly data
_ATOM = "http://www.w3.org/2005/Atom"
_NS = {"a": _ATOM}

# The last collection name in a path decides what the path needs from a token's scope.
_KIND_OF_COLLECTION = {
    "UsagePoint": None,  # the usage point itself only says "there is a meter": any scope reads it
    "MeterReading": v.SCOPE_USAGE,
    "IntervalBlock": v.SCOPE_USAGE,
    "ElectricPowerUsageSummary": v.SCOPE_BILLING,
    "UsageSummary": v.SCOPE_BILLING,
}
_SUBSCRIPTION_PATH = re.compile(
    r"^(?P<batch>Batch/)?Subscription/(?P<sid>[A-Za-z0-9_-]{16,64})(?P<rest>(/[A-Za-z]+(/[0-9]+)?)*)$"
)


class UnknownResource(Exception):
    """A path that names no resource of this custodian."""


@dataclass(frozen=True)
class ResourcePath:
    subscription_id: str
    batch: bool
    rest: str  # "" or "/UsagePoint/1/MeterReading/1/IntervalBlock", ...

    @property
    def kinds(self) -> frozenset[str]:
        """Scopes the path needs (empty: any consent may read it)."""
        if self.batch:
            return frozenset()
        names = [part for part in self.rest.split("/") if part and not part.isdigit()]
        kind = _KIND_OF_COLLECTION.get(names[-1]) if names else None
        if names and names[-1] not in _KIND_OF_COLLECTION:
            raise UnknownResource(f"no ESPI resource '{names[-1]}' under a subscription")
        return frozenset({kind}) if kind else frozenset()


def parse_path(tail: str) -> ResourcePath:
    """`tail` is the path after ROOT/ (e.g. "Batch/Subscription/abc..")."""
    match = _SUBSCRIPTION_PATH.match(tail)
    if not match:
        raise UnknownResource("not an ESPI subscription resource path")
    path = ResourcePath(match["sid"], bool(match["batch"]), match["rest"] or "")
    if path.batch and path.rest:
        raise UnknownResource("a batch request names the whole subscription, nothing below it")
    path.kinds  # noqa: B018 - validates the collection names
    return path


def feed_seed(key: bytes, account: str) -> int:
    return int.from_bytes(hmac.new(key, account.encode(), hashlib.sha256).digest()[:8], "big")


def requested_period(published_min: str | None, published_max: str | None, default: Period) -> Period:
    """The days a request asks for (ESPI `published-min`/`published-max`, dates or date-times;
    max is exclusive as in ESPI), defaulting to the consented period."""
    start = _day(published_min, "published-min") if published_min else default.start
    if published_max:
        end = _day(published_max, "published-max")
        # An exclusive bound at midnight ends the day before; a later time includes its day.
        if "T" not in published_max or published_max.split("T", 1)[1].rstrip("Z").strip("0:.") == "":
            end -= timedelta(days=1)
    else:
        end = default.end
    if end < start:
        raise ValueError("published-max must be after published-min")
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise ValueError(f"a request may cover at most {MAX_DAYS} days")
    return period


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date or date-time") from None


def render(path: ResourcePath, *, seed: int, period: Period, base_url: str, scope: frozenset[str],
           commodity: str = "electricity") -> bytes:
    """The Atom document `path` names, for `period`, with only the entries `scope` allows; a gas
    account's feed is natural gas in therms."""
    raw = generate_feed(seed=seed, start=period.start, days=period.days, commodity=commodity)
    resource = base_url.rstrip("/") + ROOT
    sid = path.subscription_id
    text = (
        raw.replace(f"{GENERATOR_BASE}/Batch/Subscription/1".encode(), f"{resource}/Batch/Subscription/{sid}".encode())
        .replace(f"{GENERATOR_BASE}/Subscription/1/".encode(), f"{resource}/Subscription/{sid}/".encode())
        .replace(f"{GENERATOR_BASE}/Subscription/1".encode(), f"{resource}/Subscription/{sid}".encode())
        .replace(GENERATOR_BASE.encode(), resource.encode())
    )
    feed = etree.fromstring(text, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    for entry in feed.findall("a:entry", _NS):
        if _entry_kind(entry) not in scope | {None}:
            feed.remove(entry)
    if path.batch:
        return etree.tostring(feed, xml_declaration=True, encoding="UTF-8")
    url = f"{resource}/Subscription/{sid}{path.rest}"
    entries = [e for e in feed.findall("a:entry", _NS) if _link(e, "self") == url]
    if entries:
        return etree.tostring(entries[0], xml_declaration=True, encoding="UTF-8")
    members = [e for e in feed.findall("a:entry", _NS) if _link(e, "up") == url]
    if not members:
        raise UnknownResource("no such resource in this subscription")
    for entry in feed.findall("a:entry", _NS):
        if entry not in members:
            feed.remove(entry)
    self_link = feed.find("a:link[@rel='self']", _NS)
    if self_link is not None:
        self_link.set("href", url)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8")


def _link(entry: etree._Element, rel: str) -> str | None:
    link = entry.find(f"a:link[@rel='{rel}']", _NS)
    return None if link is None else link.get("href")


def _entry_kind(entry: etree._Element) -> str | None:
    link = entry.find("a:link[@rel='self']", _NS)
    kind = (link.get("type") or "").removeprefix("espi-entry/") if link is not None else ""
    if kind in ("MeterReading", "ReadingType", "IntervalBlock"):
        return v.SCOPE_USAGE
    if kind.endswith("UsageSummary"):
        return v.SCOPE_BILLING
    return None
