"""Sandbox handlers and seed data for HighLevel's contacts area."""

from __future__ import annotations
