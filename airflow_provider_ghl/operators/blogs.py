"""Operators for HighLevel's Blogs API (posts of a location's blog sites)."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateBlogPostOperator(GHLOperator):
    """Create a blog post; XCom: ``{"data": {"_id": ..., ...}}``.

    HighLevel's schema requires every field below (the location comes from the connection)::

        GHLCreateBlogPostOperator(
            task_id="publish_post",
            body={"title": "Spring checklist", "blogId": "...", "author": "<author id>",
                  "categories": ["<category id>"], "urlSlug": "spring-checklist", "status": "PUBLISHED",
                  "publishedAt": "{{ data_interval_end | ts }}", "rawHTML": "<h1>Spring checklist</h1>...",
                  "description": "Ten things to check", "imageUrl": "https://...", "imageAltText": "Tulips"},
        )

    ``status`` is DRAFT, PUBLISHED, SCHEDULED or ARCHIVED. A slug already in use is refused (HTTP 400);
    ``GHLCheckBlogUrlSlugSensor`` tells whether one is taken.
    """

    operation = "create_blog_post"


class GHLUpdateBlogPostOperator(GHLOperator):
    """Replace a blog post: ``post_id="..."`` and the same full body as ``GHLCreateBlogPostOperator``.

    HighLevel's update takes every required field again (it is not a partial update); the post may keep
    its own slug. XCom: ``{"updatedBlogPost": {...}}``.
    """

    operation = "update_blog_post"
