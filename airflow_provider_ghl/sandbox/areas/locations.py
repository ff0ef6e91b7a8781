"""Sandbox handlers and seed data for HighLevel's locations area."""

from __future__ import annotations
