"""Sandbox handlers and seed data for HighLevel's users area."""

from __future__ import annotations
