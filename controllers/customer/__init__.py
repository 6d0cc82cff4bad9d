"""customer controller."""
