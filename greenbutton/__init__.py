"""Green Button (NAESB ESPI) usage data: hardened readers of Green Button XML and Green Button CSV
(`read_usage` tells them apart), feed generators for both, and the delivered-electricity and
delivered-gas per-period views that the emissions calculations use."""

from greenbutton.csv_feed import parse_csv, parse_csv_file
from greenbutton.csv_generator import generate_csv, generate_gas_csv, write_csv
from greenbutton.errors import GreenButtonError
from greenbutton.formats import GREEN_BUTTON_CSV, GREEN_BUTTON_XML, read_usage
from greenbutton.generator import generate_feed, write_feed
from greenbutton.localtime import DstRule, LocalTimeParameters
from greenbutton.model import (
    BillingPeriod,
    Duplicate,
    Gap,
    Notice,
    Overlap,
    Quantity,
    Reading,
    Series,
    UsageDocument,
    UsagePoint,
)
from greenbutton.parser import DEFAULT_MAX_BYTES, parse_bytes, parse_file
from greenbutton.periods import (
    GasPeriodUsage,
    PeriodUsage,
    delivered_electricity,
    electricity_usage_by_period,
    gas_usage_by_period,
)
from greenbutton.report import NetTotal, net_totals, summary

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GREEN_BUTTON_CSV",
    "GREEN_BUTTON_XML",
    "BillingPeriod",
    "DstRule",
    "Duplicate",
    "Gap",
    "GasPeriodUsage",
    "GreenButtonError",
    "LocalTimeParameters",
    "NetTotal",
    "Notice",
    "Overlap",
    "PeriodUsage",
    "Quantity",
    "Reading",
    "Series",
    "UsageDocument",
    "UsagePoint",
    "delivered_electricity",
    "electricity_usage_by_period",
    "gas_usage_by_period",
    "generate_csv",
    "generate_feed",
    "generate_gas_csv",
    "net_totals",
    "parse_bytes",
    "parse_csv",
    "parse_csv_file",
    "parse_file",
    "read_usage",
    "summary",
    "write_csv",
    "write_feed",
]
