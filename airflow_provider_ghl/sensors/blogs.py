"""Sensors for HighLevel's Blogs API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLCheckBlogUrlSlugSensor(GHLRecordSensor):
    """Wait until a blog URL slug is taken: ``query={"urlSlug": "spring-checklist"}``.

    Fires when HighLevel answers ``{"exists": true}`` (a post of the location uses the slug; with
    ``"postId"`` in ``query``, a post other than that one). XCom: ``true``.
    """

    operation = "check_blog_url_slug"


class GHLGetBlogAuthorsSensor(GHLCollectionSensor):
    """Wait for new blog authors (cursor of the delivered ids) or, with ``watch="updated"``, authors changed
    since (by ``updatedAt``). XCom: exactly those authors.
    """

    operation = "get_blog_authors"


class GHLGetBlogCategoriesSensor(GHLCollectionSensor):
    """Wait for new blog categories (cursor of the delivered ids) or, with ``watch="updated"``, categories
    changed since (by ``updatedAt``). XCom: exactly those categories.
    """

    operation = "get_blog_categories"


class GHLGetBlogPostsSensor(GHLCollectionSensor):
    """Wait for newly published posts of a blog (``query={"blogId": ...}``), or changed ones.

    Fires when at least ``min_records`` posts have ``publishedAt`` (``updatedAt`` with ``watch="updated"``)
    inside the run's data interval or, in cursor mode, after the last delivery, ties included.
    XCom: exactly those posts (without their HTML body), oldest first.
    """

    operation = "get_blog_posts"


class GHLGetBlogsByLocationSensor(GHLCollectionSensor):
    """Wait for new blog sites of the location (cursor of the delivered ids; ``watch="updated"``: renamed).

    XCom: exactly those blogs.
    """

    operation = "get_blogs_by_location"
