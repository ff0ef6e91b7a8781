"""Sandbox handlers and seed data for HighLevel's companies area."""

from __future__ import annotations
