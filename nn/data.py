"""data (being written)."""
