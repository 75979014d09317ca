"""Shared test settings: hypothesis profiles without deadlines (CI machines are shared and their timing varies). The
default "ci" profile is derandomized so every run checks the same examples; to try fresh random examples locally, run
`HYPOTHESIS_PROFILE=dev python -m pytest tests`."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True)
settings.register_profile("dev", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
