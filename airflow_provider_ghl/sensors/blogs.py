"""Sensors for HighLevel's Blogs API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLCheckBlogUrlSlugSensor(GHLRecordSensor):
    """Wait until a blog URL slug is taken (``query={"urlSlug": ...}``).

    Fires when HighLevel answers ``{"exists": true}``. XCom: ``true``."""

    operation = "check_blog_url_slug"

    def record_key(self) -> str | None:
        return "exists"


class GHLGetBlogAuthorsSensor(GHLCollectionSensor):
    """Authors.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_blog_authors"


class GHLGetBlogCategoriesSensor(GHLCollectionSensor):
    """Categories.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_blog_categories"


class GHLGetBlogPostsSensor(GHLCollectionSensor):
    """Posts of a blog.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_blog_posts"


class GHLGetBlogsByLocationSensor(GHLCollectionSensor):
    """Blog sites.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_blogs_by_location"
