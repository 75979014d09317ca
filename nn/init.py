"""init (being written)."""
