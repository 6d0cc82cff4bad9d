"""Green Button "Download My Data" CSV -> the same UsageDocument the XML parser builds.

The layout US utilities serve (PG&E, SCE, SDG&E and others with small variations):

    Name,JANE DOE
    Address,"1 MAIN ST, SPRINGFIELD CA 90000"
    Account Number,1234567890
    Service,Service 1

    TYPE,DATE,START TIME,END TIME,USAGE (kWh),COST,NOTES
    Electric usage,2024-01-01,00:00,00:59,0.452,$0.13,

The header block is optional and only a time zone line ("Time Zone,America/Los_Angeles") is read
from it: names, addresses and account numbers are skipped, so they never reach a record. Usage
columns are `USAGE (unit)`, `USAGE` with a `UNITS` column, or `IMPORT (unit)` and `EXPORT (unit)`
for net-metered services; START TIME / END TIME may be absent for daily data. END TIME may be
the last minute of the interval (00:59, the common form) or its end (01:00); intervals of 5, 10,
15, 30 and 60 minutes and whole days are understood.

Local time: the CSV has no UTC offset. Times are read in `tz` when the caller gives one, else in
the zone a header line names, else in UTC with a notice that says so. On the day the clocks go
back, the repeated hour's rows are told apart by order (the first 01:00 is daylight time, the
next one standard time); a row stamped in the hour that does not exist when the clocks go
forward is skipped with a notice if it holds no usage and refused otherwise.

Strict on the readings: every unreadable cell is refused with one line naming the line and the
column, e.g. "line 14, column USAGE: 'abc' is not a number". Lenient on metadata: unknown extra
columns, blank usage cells and costs without a currency become notices.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from greenbutton import codes
from greenbutton.errors import GreenButtonError
from greenbutton.localtime import ZONES, LocalTimeParameters
from greenbutton.model import NO_COST, Notice, Series, UsageDocument, UsagePoint
from greenbutton.parser import DEFAULT_MAX_BYTES
from greenbutton.series import ReadingBuffer, clean

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_ROWS", "DEFAULT_ZONE", "parse_csv", "parse_csv_file"]

DEFAULT_MAX_ROWS = 1_000_000  # 28 years of 15-minute data; bounds memory at ~40 bytes a row
DEFAULT_ZONE = "UTC"
MAX_HEADER_LINES = 100  # lines before the TYPE,DATE,... header row
MAX_DECIMALS = 6  # a millionth of a kWh or therm; more is noise, not a reading
FIRST_YEAR, LAST_YEAR = 1970, 2100  # a date outside these is a typo or a hostile file, not a bill

_DAY = 86400
_INTERVALS = (300, 600, 900, 1800, 3600, _DAY)
_INT48 = 2**47
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_UNKNOWN = object()

_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MONEY = re.compile(r"(-?)(\$?)(-?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?:\s*([AaPp][Mm]))?")
_FLOW_COLUMN = re.compile(r"(USAGE|IMPORT|EXPORT|CONSUMPTION)\s*(?:\((.*)\))?", re.IGNORECASE)
_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])([0-9]{1,2})(?::?([0-9]{2}))?")

# CSV unit spellings -> (codes.UNITS symbol, power of ten to get there, commodity).
_UNITS: dict[str, tuple[str, int, str]] = {
    "kwh": ("kWh", 0, codes.ELECTRICITY),
    "wh": ("kWh", -3, codes.ELECTRICITY),
    "mwh": ("kWh", 3, codes.ELECTRICITY),
    "therm": ("therm", 0, codes.GAS),
    "therms": ("therm", 0, codes.GAS),
    "dth": ("therm", 1, codes.GAS),
    "dekatherm": ("therm", 1, codes.GAS),
    "dekatherms": ("therm", 1, codes.GAS),
    "ccf": ("ft3", 2, codes.GAS),
    "mcf": ("ft3", 3, codes.GAS),
    "cf": ("ft3", 0, codes.GAS),
    "ft3": ("ft3", 0, codes.GAS),
    "m3": ("m3", 0, codes.GAS),
}
_UNIT_NAMES = "kWh, Wh, MWh, therms, Dth, CCF, MCF, cf, m3"

_ZONE_WORDS = {
    "pacific": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles", "mountain": "America/Denver", "mst": "America/Denver",
    "mdt": "America/Denver", "mt": "America/Denver", "central": "America/Chicago",
    "cst": "America/Chicago", "cdt": "America/Chicago", "ct": "America/Chicago",
    "eastern": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "et": "America/New_York", "utc": "UTC", "gmt": "UTC",
}
_ZONE_KEYS = {"time zone", "timezone", "time_zone", "tz"}


def parse_csv(
    data: bytes,
    *,
    tz: str | LocalTimeParameters | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> UsageDocument:
    """Read a Green Button CSV held in memory; raises GreenButtonError on anything doubtful.

    `tz` is a zone of greenbutton.localtime.ZONES, a fixed offset such as "-08:00", or
    LocalTimeParameters; it overrides a time zone line in the header block.
    """
    if len(data) > max_bytes:
        raise GreenButtonError(f"document is {len(data)} bytes, larger than the limit of {max_bytes} bytes")
    return _Reader(tz, max_rows).read(_decode(data))


def parse_csv_file(
    path: str | os.PathLike,
    *,
    tz: str | LocalTimeParameters | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> UsageDocument:
    """Read the Green Button CSV at `path` (the benchmark's entry point)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise GreenButtonError(f"document is {size} bytes, larger than the limit of {max_bytes} bytes")
        chunks, seen = [], 0
        while chunk := handle.read(1 << 20):  # a file that grows while read still cannot pass the limit
            seen += len(chunk)
            if seen > max_bytes:
                raise GreenButtonError(f"document is larger than the limit of {max_bytes} bytes")
            chunks.append(chunk)
    return parse_csv(b"".join(chunks), tz=tz, max_bytes=max_bytes, max_rows=max_rows)


def zone(value: str | LocalTimeParameters) -> LocalTimeParameters:
    """A zone name, a US zone word (Pacific, PST, ...) or a fixed offset ("-08:00") as local time rules."""
    if isinstance(value, LocalTimeParameters):
        return value
    text = value.strip()
    if text in ZONES:
        return ZONES[text]
    if text.lower() in _ZONE_WORDS:
        return ZONES[_ZONE_WORDS[text.lower()]]
    match = _OFFSET.fullmatch(text)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours <= 14 and minutes < 60:
            return LocalTimeParameters((-1 if sign == "-" else 1) * (hours * 3600 + minutes * 60))
    raise GreenButtonError(
        f"time zone {value!r} is not one this reader knows ({', '.join(sorted(ZONES))}, or an offset like -08:00)"
    )


def _fail(line: int, column: str | None, message: str) -> GreenButtonError:
    where = f"line {line}, column {column}" if column else f"line {line}"
    error = GreenButtonError(f"{where}: {message}")
    error.line, error.element = line, column
    return error


def _decode(data: bytes) -> str:
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            raise GreenButtonError(f"file is {name} (it starts with a {name} byte-order mark); "
                                   "Green Button CSV is read as UTF-8 only")
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = str(memoryview(data)[skip:], "utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        line = data.count(b"\n", 0, at) + 1
        raise _fail(line, None, f"byte 0x{data[at]:02X} is not UTF-8; Green Button CSV is read as UTF-8 only "
                                "(re-save the file as UTF-8)") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise _fail(text.count("\n", 0, nul) + 1, None, "contains a NUL character (a UTF-16 file without a byte-order mark?)")
    if not text.strip():
        raise GreenButtonError("document is empty")
    return text


@dataclass(frozen=True)
class _FlowColumn:
    index: int
    name: str  # as the header writes it, for messages
    kind: str  # "usage", "import" or "export"
    unit: str | None  # from the header, e.g. "kWh" in "USAGE (kWh)"


@dataclass(frozen=True)
class _Layout:
    line: int
    width: int
    needed: int  # cells a row must have: up to the last column that is not COST or NOTES
    names: tuple[str, ...]
    type: int
    date: int
    start: int | None
    end: int | None
    units: int | None
    cost: int | None
    flows: tuple[_FlowColumn, ...]


@dataclass
class _Builder:
    """Readings of one TYPE in one usage column, as read; turned into a Series at the end."""

    commodity: str
    column: _FlowColumn
    first_line: int
    most_decimals: int  # of any value so far; all are scaled to it when they differ
    unit_text: str | None = None
    unit: tuple[str, int, str] | None = None
    unit_cell: str | None = None  # the UNITS cell the unit was last checked for
    starts: array = field(default_factory=lambda: array("q"))
    durations: array = field(default_factory=lambda: array("q"))
    raws: list[int] = field(default_factory=list)
    decimals: array = field(default_factory=lambda: array("b"))
    costs: array = field(default_factory=lambda: array("q"))
    mixed_decimals: bool = False
    first_negative: int | None = None
    currency: str | None = None
    unpriced_costs: bool = False


class _Reader:
    def __init__(self, tz: str | LocalTimeParameters | None, max_rows: int):
        self.requested = None if tz is None else zone(tz)
        self.max_rows = max_rows
        self.notices: list[Notice] = []
        self.blank_cells: dict[str, list[int]] = {}

    def notice(self, code: str, message: str, *, column: str | None = None, line: int | None = None) -> None:
        if not any(n.code == code and n.message == message for n in self.notices):
            self.notices.append(Notice(code, message, element=column, line=line))

    # -- the file ---------------------------------------------------------------------------------
    def read(self, text: str) -> UsageDocument:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            layout, stated_zone = self._header(reader)
            self.clock = _Clock(self._local_time(stated_zone))
            builders = self._rows(reader, layout)
        except csv.Error as exc:
            raise _fail(reader.line_num, None, f"malformed CSV: {exc}") from None
        for column, lines in self.blank_cells.items():
            self.notice("csv-blank-usage", f"{len(lines)} row(s) have no {column} value (first at line {lines[0]}); "
                        "they are left out, so their intervals are gaps", column=column, line=lines[0])
        return self._document(builders)

    def _header(self, reader) -> tuple[_Layout, tuple[int, str] | None]:
        stated_zone = None
        for row in reader:
            line = reader.line_num
            if line > MAX_HEADER_LINES:
                break
            cells = [c.strip() for c in row]
            upper = [" ".join(c.upper().split()) for c in cells]
            if "TYPE" in upper and "DATE" in upper:
                return self._layout(line, cells, upper), stated_zone
            if len(cells) >= 2 and cells[0].rstrip(":").strip().lower() in _ZONE_KEYS and cells[1]:
                stated_zone = (line, cells[1])
        raise GreenButtonError(
            f"no header row with TYPE and DATE columns in the first {MAX_HEADER_LINES} lines; "
            "this is not a Green Button CSV"
        )

    def _layout(self, line: int, cells: list[str], upper: list[str]) -> _Layout:
        found: dict[str, int] = {}
        flows: list[_FlowColumn] = []
        known = {"TYPE": "type", "DATE": "date", "START TIME": "start", "END TIME": "end", "UNITS": "units",
                 "UNIT": "units", "COST": "cost", "NOTES": "notes", "NOTE": "notes"}
        for index, (cell, name) in enumerate(zip(cells, upper)):
            flow = _FLOW_COLUMN.fullmatch(cell)
            role = known.get(name)
            if flow:
                kind = flow.group(1).lower()
                kind = "usage" if kind == "consumption" else kind
                unit = (flow.group(2) or "").strip() or None
                if any(f.kind == kind for f in flows):
                    raise _fail(line, cell, f"the header has more than one {kind.upper()} column")
                flows.append(_FlowColumn(index, cell, kind, unit))
            elif role is not None:
                if role in found:
                    raise _fail(line, cell, "the header has this column twice")
                found[role] = index
            elif cell:
                self.notice("csv-column-ignored", f"column {cell!r} is not a Green Button CSV column and is not read",
                            column=cell, line=line)
        kinds = {f.kind for f in flows}
        if not flows:
            raise _fail(line, None, "the header has no USAGE, IMPORT or EXPORT column")
        if "usage" in kinds and len(kinds) > 1:
            raise _fail(line, None, "the header has both USAGE and IMPORT/EXPORT columns; which one is delivered energy is unclear")
        if ("start" in found) != ("end" in found):
            raise _fail(line, None, "the header has a START TIME or an END TIME column but not both")
        for flow in flows:
            if flow.unit is None and "units" not in found:
                raise _fail(line, flow.name, "states no unit and there is no UNITS column")
            if flow.unit is not None and flow.unit.lower() not in _UNITS:
                raise _fail(line, flow.name, f"{flow.unit!r} is not a unit this reader supports ({_UNIT_NAMES})")
        # A row may end with empty cells the header does not have (a trailing comma), never with more data.
        needed = 1 + max(i for i in (found["type"], found["date"], found.get("start"), found.get("end"),
                                     found.get("units"), *(f.index for f in flows)) if i is not None)
        return _Layout(line=line, width=len(cells), needed=needed, names=tuple(cells), type=found["type"], date=found["date"],
                       start=found.get("start"), end=found.get("end"), units=found.get("units"),
                       cost=found.get("cost"), flows=tuple(flows))

    def _local_time(self, stated: tuple[int, str] | None) -> LocalTimeParameters:
        stated_time = None
        line, value = stated if stated is not None else (None, None)
        if value is not None:
            try:
                stated_time = zone(value)
            except GreenButtonError as exc:
                self.notice("csv-zone-unknown", f"{exc}; the header's time zone is not used", line=line)
        if self.requested is not None:
            if stated_time is not None and stated_time != self.requested:
                self.notice("csv-zone-overridden", f"the header says the times are {value!r}; they are read in "
                            "the time zone the caller gave", line=line)
            return self.requested
        if stated_time is not None:
            return stated_time
        self.notice("csv-zone-assumed", f"the CSV states no time zone and none was given: its local times are read "
                    f"as {DEFAULT_ZONE} (fixed offset +00:00)")
        return ZONES[DEFAULT_ZONE]

    # -- the rows ---------------------------------------------------------------------------------
    def _rows(self, reader, layout: _Layout) -> list[_Builder]:
        width, names = layout.width, layout.names
        type_at, date_at, start_at, end_at = layout.type, layout.date, layout.start, layout.end
        units_at, cost_at = layout.units, layout.cost
        timed = start_at is not None
        types: dict[str, str] = {}
        days: dict[str, tuple[int, int | None]] = {}  # DATE -> (local midnight, the day's UTC offset)
        spans: dict[tuple[str, str], tuple[int, int]] = {}
        numbers: dict[str, tuple[int, int]] = {}
        costs: dict[str, tuple[int, bool | None]] = {}
        builders: dict[tuple[str, int], _Builder] = {}
        last_end: dict[str, int] = {}
        clock = self.clock
        rows = data_rows = 0
        for row in reader:
            line = reader.line_num
            rows += 1  # blank ones too, so a file of empty lines is bounded like any other
            if rows > self.max_rows:
                raise _fail(line, None, f"more than {self.max_rows} rows after the header, the limit")
            if len(row) != width:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) < layout.needed:
                    raise _fail(line, None, f"has {len(row)} cells, the header (line {layout.line}) has {width}")
                if len(row) < width:  # trailing COST / NOTES left off
                    row = row + [""] * (width - len(row))
                elif any(c.strip() for c in row[width:]):
                    raise _fail(line, None, f"has data in cell {width + 1}, past the header's {width} columns")
            data_rows += 1

            type_text = row[type_at]
            commodity = types.get(type_text)
            if commodity is None:
                commodity = types[type_text] = _commodity(type_text, line, names[type_at])

            date_text = row[date_at]
            known_day = days.get(date_text)
            if known_day is None:
                midnight = _day(date_text, line, names[date_at])
                known_day = days[date_text] = (midnight, clock.day_offset(midnight))
            day, utc_offset = known_day

            if timed:
                key = (row[start_at], row[end_at])  # type: ignore[index]
                span = spans.get(key)
                if span is None:
                    span = spans[key] = _span(key, line, names[start_at], names[end_at])  # type: ignore[index]
                offset, wall = span
            else:
                offset, wall = 0, _DAY

            if utc_offset is not None:
                begin = day + offset - utc_offset
            else:  # the clocks change today: the exact, slower path
                begin = clock.to_utc(day + offset, last_end.get(commodity))
            if begin is None:  # inside the hour skipped when the clocks go forward
                if self._skipped_gap_row(row, layout, line):
                    continue
                column = names[start_at] if start_at is not None else names[date_at]
                when = f"{date_text} {row[start_at]}" if start_at is not None else date_text
                raise _fail(line, column, f"{when} does not exist in local time (the clocks go forward then) "
                            "and the row holds usage")
            if wall == _DAY and offset == 0:
                finish = clock.to_utc(day + _DAY, None)
                duration = _DAY if finish is None else finish - begin
            else:
                duration = wall
            last_end[commodity] = begin + duration

            # Cells are looked up as they are: a year of readings has only a few thousand distinct texts.
            row_unit = row[units_at] if units_at is not None else None
            for flow in layout.flows:
                text = row[flow.index]
                parsed = numbers.get(text)
                if parsed is None:
                    parsed = numbers[text] = _number(text, line, flow.name)
                raw, decimals = parsed
                if decimals < 0:
                    self.blank_cells.setdefault(flow.name, []).append(line)
                    continue
                builder = builders.get((commodity, flow.index))
                if builder is None:
                    builder = builders[(commodity, flow.index)] = _Builder(commodity, flow, line, decimals)
                if builder.unit is None or builder.unit_cell != row_unit:
                    self._unit(builder, flow, row_unit, line, names[units_at] if units_at is not None else flow.name)
                if raw < 0:
                    if flow.kind != "usage" or commodity != codes.ELECTRICITY:
                        raise _fail(line, flow.name, f"{text!r} is negative; delivered {commodity} cannot be")
                    if builder.first_negative is None:
                        builder.first_negative = line
                cost = NO_COST
                if cost_at is not None and flow.kind != "export":
                    # The row's cost belongs to the energy bought, never to what was exported.
                    cost_text = row[cost_at]
                    money = costs.get(cost_text)
                    if money is None:
                        money = costs[cost_text] = _cost(cost_text, line, names[cost_at])
                    cost, in_dollars = money
                    if in_dollars:
                        builder.currency = "USD"
                    elif in_dollars is not None:
                        builder.unpriced_costs = True
                builder.starts.append(begin)
                builder.durations.append(duration)
                builder.raws.append(raw)
                builder.decimals.append(decimals)
                builder.costs.append(cost)
                if decimals != builder.most_decimals:
                    builder.mixed_decimals = True
                    builder.most_decimals = max(builder.most_decimals, decimals)
        if data_rows == 0:
            raise _fail(layout.line, None, "the header is followed by no data rows")
        return list(builders.values())

    def _skipped_gap_row(self, row: list[str], layout: _Layout, line: int) -> bool:
        for flow in layout.flows:
            if _number(row[flow.index], line, flow.name)[0] != 0:
                return False
        self.notice("csv-dst-gap-row", "rows stamped in the hour skipped when the clocks go forward hold no usage "
                    f"and are left out (first at line {line})", line=line)
        return True

    def _unit(self, builder: _Builder, flow: _FlowColumn, row_unit: str | None, line: int, column: str) -> None:
        text = (row_unit or "").strip() or flow.unit
        if not text:
            raise _fail(line, column, f"is empty, so the {flow.name} value has no unit")
        unit = _UNITS.get(text.lower())
        if unit is None:
            raise _fail(line, column, f"{text!r} is not a unit this reader supports ({_UNIT_NAMES})")
        if flow.unit is not None and _UNITS[flow.unit.lower()] != unit:
            raise _fail(line, column, f"{text!r} contradicts the header's {flow.name!r}")
        if unit[2] != builder.commodity:
            raise _fail(line, column, f"{text!r} is not a unit of {builder.commodity}")
        if builder.unit is not None and builder.unit != unit:
            raise _fail(line, column, f"{text!r} differs from the {builder.unit_text!r} of the earlier "
                        f"{builder.commodity} rows (line {builder.first_line})")
        builder.unit, builder.unit_cell = unit, row_unit
        if builder.unit_text is None:
            builder.unit_text = text

    # -- the document -----------------------------------------------------------------------------
    def _document(self, builders: list[_Builder]) -> UsageDocument:
        local = self.clock.local
        commodities = list(dict.fromkeys(b.commodity for b in builders))
        points = tuple(UsagePoint(commodity=c, local_time=local) for c in commodities)
        series = [self._series(b, commodities.index(b.commodity)) for b in builders if b.raws]
        if not series:
            raise GreenButtonError("document has no usage values")
        return UsageDocument(series=tuple(series), usage_points=points, billing_periods=(), local_time=local,
                             notices=tuple(self.notices))

    def _series(self, builder: _Builder, point: int) -> Series:
        assert builder.unit is not None
        symbol, scale, _ = builder.unit
        most = builder.most_decimals
        raws = builder.raws
        if builder.mixed_decimals:
            raws = [raw * 10 ** (most - d) for raw, d in zip(raws, builder.decimals)]
        values = array("q", raws)  # _number bounds every value at MAX_DECIMALS, so none overflows
        flow = {"usage": codes.FORWARD, "import": codes.FORWARD, "export": codes.REVERSE}[builder.column.kind]
        if builder.first_negative is not None:
            # Utilities put net-metered customers' net usage in the one USAGE column; summing it
            # as delivered energy would understate what they drew from the grid.
            flow = codes.NET
            self.notice("csv-net-usage", f"{builder.column.name} has negative values (first at line "
                        f"{builder.first_negative}), so it is net usage (delivered minus exported), not delivered energy",
                        column=builder.column.name, line=builder.first_negative)
        if builder.unpriced_costs:
            self.notice("csv-cost-currency", "COST values carry no currency symbol; their currency is left unstated",
                        column="COST")
        cleaned = clean(ReadingBuffer(builder.starts, builder.durations, values, builder.costs), scale - most)
        return Series(
            commodity=builder.commodity,
            unit=symbol,
            flow=flow,
            accumulation="deltaData",
            usage_point=point,
            exponent=scale - most,
            currency=builder.currency,
            columns=cleaned.columns,
            duplicates=cleaned.duplicates,
            gaps=cleaned.gaps,
            overlaps=cleaned.overlaps,
        )


def _commodity(text: str, line: int, column: str) -> str:
    words = text.lower().replace("-", " ").split()
    if words and words[0] in ("electric", "electricity"):
        return codes.ELECTRICITY
    if "gas" in words:
        return codes.GAS
    raise _fail(line, column, f"{text!r} is not a usage type this reader knows (Electric usage, Natural gas usage)")


def _day(text: str, line: int, column: str) -> int:
    """Local midnight of the date, in seconds as if local time were UTC."""
    value = text.strip()
    match = _ISO_DATE.fullmatch(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _US_DATE.fullmatch(value)
        if not match:
            raise _fail(line, column, f"{text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")
        month, day, year = (int(g) for g in match.groups())
    try:
        when = date(year, month, day)
    except ValueError:
        raise _fail(line, column, f"{text!r} is not a date of the calendar") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _fail(line, column, f"{text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return (when.toordinal() - _EPOCH_ORDINAL) * _DAY


def _clock_time(text: str, line: int, column: str, *, end: bool) -> tuple[int, bool]:
    """Seconds after midnight, and whether the text gave seconds."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        raise _fail(line, column, f"{text!r} is not a time (HH:MM)")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise _fail(line, column, f"{text!r} is not a time of day")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if end and hour == 24 and minute == 0 and second == 0 and not meridiem:
        return _DAY, match.group(3) is not None
    if hour > 23 or minute > 59 or second > 59:
        raise _fail(line, column, f"{text!r} is not a time of day")
    return hour * 3600 + minute * 60 + second, match.group(3) is not None


def _span(texts: tuple[str, str], line: int, start_column: str, end_column: str) -> tuple[int, int]:
    """(start seconds after midnight, interval length in seconds) from START TIME and END TIME."""
    start, _ = _clock_time(texts[0], line, start_column, end=False)
    end, with_seconds = _clock_time(texts[1], line, end_column, end=True)
    gap = end - start
    if gap <= 0:
        gap += _DAY  # 23:00-00:00, or 00:00-00:00 for a whole day
    # END TIME is either the interval's last minute (00:59, or 00:59:59) or its end (01:00).
    for length in (gap + (1 if with_seconds else 60), gap):
        if length in _INTERVALS:
            return start, length
    raise _fail(line, end_column, f"{texts[1]!r} does not end a 5, 10, 15, 30 or 60-minute or whole-day interval "
                f"that starts at {texts[0]!r}")


def _number(cell: str, line: int, column: str) -> tuple[int, int]:
    """(the digits as an integer, how many of them are decimals); (0, -1) for a blank cell."""
    text = cell.strip()
    if not text:
        return 0, -1
    if len(text) > 32 or not _NUMBER.fullmatch(text):
        raise _fail(line, column, f"{text!r} is not a number")
    whole, _dot, fraction = text.partition(".")
    if len(fraction) > MAX_DECIMALS:
        raise _fail(line, column, f"{text!r} has more than {MAX_DECIMALS} decimal places")
    raw = int(whole + fraction)
    if abs(raw) * 10 ** (MAX_DECIMALS - len(fraction)) >= _INT48:  # ESPI's Int48, as the XML parser allows
        raise _fail(line, column, f"{text!r} is too large to be a reading")
    return raw, len(fraction)


def _cost(cell: str, line: int, column: str) -> tuple[int, bool | None]:
    """The cost in 1/100,000 of the currency, as ESPI keeps it, and whether it is in dollars
    (None for a blank cell)."""
    text = cell.strip()
    if not text:
        return NO_COST, None
    negative = text.startswith("(") and text.endswith(")")  # accounting style: ($1.20)
    match = _MONEY.fullmatch(text[1:-1] if negative else text)
    if not match or (match.group(1) and match.group(3)):
        raise _fail(line, column, f"{text!r} is not an amount of money")
    sign, dollar, sign_after, digits = match.groups()
    whole, _, fraction = digits.partition(".")
    if len(fraction) > -codes.COST_SCALE:
        raise _fail(line, column, f"{text!r} has more than {-codes.COST_SCALE} decimal places")
    if len(whole) > 9:
        raise _fail(line, column, f"{text!r} is too large to be the cost of one reading")
    amount = int(whole or "0") * 100_000 + int((fraction + "00000")[:5])
    return (-amount if (negative or sign or sign_after) else amount), bool(dollar)


class _Clock:
    """Local wall-clock seconds -> UTC epoch seconds under LocalTimeParameters, a day at a time.

    Days without a DST change (all but two a year) get one offset, computed once; only the rows of
    the two change days take the exact path.
    """

    def __init__(self, local: LocalTimeParameters):
        self.local = local
        self.offsets: dict[int, object] = {}
        self.years: dict[int, tuple[list[int], bool]] = {}  # year -> (its change days, DST on 1 January)

    def to_utc(self, wall: int, covered_until: int | None) -> int | None:
        """The instant of local `wall` time; None when the clocks skip it.

        In the repeated hour after the clocks go back, the first reading is daylight time and one
        whose daylight instant is already covered by the previous reading is standard time.
        """
        offset = self.day_offset(wall - wall % _DAY)
        if offset is not None:
            return wall - offset
        local = self.local
        daylight = wall - local.tz_offset - local.dst_offset
        standard = wall - local.tz_offset
        daylight_ok = local.in_dst(datetime.fromtimestamp(daylight, UTC))
        standard_ok = not local.in_dst(datetime.fromtimestamp(standard, UTC))
        if daylight_ok and standard_ok:
            return standard if covered_until is not None and daylight < covered_until else daylight
        if daylight_ok:
            return daylight
        if standard_ok:
            return standard
        return None

    def day_offset(self, day: int) -> int | None:
        """The one UTC offset of the local day starting at `day`, or None on a day the clocks change."""
        offset = self.offsets.get(day, _UNKNOWN)
        if offset is _UNKNOWN:
            offset = self.offsets[day] = self._day_offset(day)
        return offset  # type: ignore[return-value]

    def _day_offset(self, day: int) -> int | None:
        local = self.local
        if not local.observes_dst:
            return local.tz_offset
        year = datetime.fromtimestamp(day, UTC).year
        known = self.years.get(year)
        if known is None:
            assert local.dst_start is not None and local.dst_end is not None
            changes = sorted(int(rule.local_transition(year).replace(tzinfo=UTC).timestamp()) // _DAY * _DAY
                             for rule in (local.dst_start, local.dst_end))
            new_year = int(datetime(year, 1, 1, 12, tzinfo=UTC).timestamp()) - local.tz_offset
            known = self.years[year] = (changes, local.in_dst(datetime.fromtimestamp(new_year, UTC)))
        changes, dst_on_new_year = known
        if day in changes:
            return None
        # Between the year's two change days the offset is constant, so one in_dst call a year will do.
        in_dst = dst_on_new_year ^ (sum(change < day for change in changes) % 2 == 1)
        return local.tz_offset + (local.dst_offset if in_dst else 0)
