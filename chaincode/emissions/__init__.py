"""Scope 2 emissions for purchased electricity: eGRID factor data, factor lookup, calculation.

This package runs inside the chaincode (every endorsing peer computes the same figure), so it
imports nothing else of ours, never reads the clock or random sources, and keeps its arithmetic in
local `decimal` contexts. Modules, one idea each:

- `units`: exact unit constants and conversions (lb, kg, tonnes, kWh, MWh).
- `rounding`: the decimal contexts and the published rounding rule for results.
- `factors`: eGRID editions (`FactorEdition`), per-region rates (`EmissionRates`) and mixes.
- `utilities`: EIA-861 utilities and their eGRID subregion assignment (`UtilityRecord`).
- `market`: registered market-based (supplier-specific / residual-mix) factors.
- `lookup`: edition selection and location-/market-based factor resolution.
- `calculation`: per-period and per-hour emissions from kWh and resolved factors.
- `canonical`: canonical JSON bytes for results and factor data.
- `shipped`: the factor data committed under `data/` (not used by the ledger path).
"""
