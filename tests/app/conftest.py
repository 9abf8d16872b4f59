"""Fixtures for the GUI-free app services: isolated XDG folders, one real .picd per session."""

from __future__ import annotations

import app_fixtures

xdg_home = app_fixtures.xdg_home  # shared fixtures (tests/app_fixtures.py)
picd_bytes = app_fixtures.picd_bytes

