"""Triggers: deferrable polling and asset-watcher event triggers."""
