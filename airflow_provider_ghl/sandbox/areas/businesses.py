"""Sandbox handlers and seed data for HighLevel's businesses area."""

from __future__ import annotations
