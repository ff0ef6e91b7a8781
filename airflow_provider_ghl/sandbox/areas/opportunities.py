"""Sandbox handlers and seed data for HighLevel's opportunities area."""

from __future__ import annotations
