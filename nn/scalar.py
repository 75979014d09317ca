"""scalar (being written)."""
