"""utils (being written)."""
