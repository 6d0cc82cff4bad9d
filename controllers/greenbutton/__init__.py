"""Green Button (NAESB ESPI) usage data: a hardened streaming parser, a feed generator, and the
delivered-electricity-per-period view that the emissions calculation uses."""

from controllers.greenbutton.errors import GreenButtonError
from controllers.greenbutton.generator import generate_feed, write_feed
from controllers.greenbutton.localtime import DstRule, LocalTimeParameters
from controllers.greenbutton.model import (
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
from controllers.greenbutton.parser import DEFAULT_MAX_BYTES, parse_bytes, parse_file
from controllers.greenbutton.periods import PeriodUsage, electricity_usage_by_period
from controllers.greenbutton.report import NetTotal, net_totals, summary

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
