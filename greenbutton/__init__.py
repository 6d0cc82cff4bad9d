"""Green Button (NAESB ESPI) usage data: a hardened streaming parser, a feed generator, and the
delivered-electricity-per-period view that the emissions calculation uses."""

from greenbutton.errors import GreenButtonError
from greenbutton.generator import generate_feed, write_feed
from greenbutton.localtime import DstRule, LocalTimeParameters
from greenbutton.model import (
    BillingPeriod,
    Duplicate,
    Gap,
    Overlap,
    Quantity,
    Reading,
    Series,
    UsageDocument,
    UsagePoint,
)
from greenbutton.parser import DEFAULT_MAX_BYTES, parse_bytes, parse_file
from greenbutton.periods import PeriodUsage, electricity_usage_by_period
from greenbutton.report import NetTotal, net_totals, summary

__all__ = [
    "DEFAULT_MAX_BYTES",
    "BillingPeriod",
    "DstRule",
    "Duplicate",
    "Gap",
    "GreenButtonError",
    "LocalTimeParameters",
    "NetTotal",
    "Overlap",
    "PeriodUsage",
    "Quantity",
    "Reading",
    "Series",
    "UsageDocument",
    "UsagePoint",
    "electricity_usage_by_period",
    "generate_feed",
    "net_totals",
    "parse_bytes",
    "parse_file",
    "summary",
    "write_feed",
]
