"""Factor data shipped with the package, derived by scripts/derive_factor_data.py. Do not edit."""
