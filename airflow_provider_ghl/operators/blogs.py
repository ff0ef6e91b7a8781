"""Operators for HighLevel's Blogs API."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateBlogPostOperator(GHLOperator):
    """Create a blog post (the official schema requires title, blogId, rawHTML, status, urlSlug, publishedAt, ...)."""

    operation = "create_blog_post"


class GHLUpdateBlogPostOperator(GHLOperator):
    """Update a blog post."""

    operation = "update_blog_post"
