"""utility controller."""
