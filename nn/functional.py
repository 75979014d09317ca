"""functional (being written)."""
