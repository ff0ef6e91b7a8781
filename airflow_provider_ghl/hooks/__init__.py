"""HighLevel hooks: :class:`~airflow_provider_ghl.hooks.ghl.GHLHook` (sync) and ``GHLAsyncHook`` (triggers)."""
