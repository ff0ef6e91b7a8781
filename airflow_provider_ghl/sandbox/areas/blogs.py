"""Sandbox handlers and seed data for HighLevel's blogs area: blog sites, posts, authors, categories.

Blog records are answered with ``_id`` (HighLevel's blog service exposes its Mongo ids that way);
they are stored under ``id`` like every sandbox record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_ghl.sandbox.bodies import field_problems
from airflow_provider_ghl.sandbox.errors import bad_request, not_found, unprocessable
from airflow_provider_ghl.sandbox.records import public
from airflow_provider_ghl.sandbox.routing import Call, handles, of_location, offset_page
from airflow_provider_ghl.sandbox.state import iso, parse_time

if TYPE_CHECKING:
    from airflow_provider_ghl.sandbox.state import SandboxState

POST_STATUSES = ("DRAFT", "PUBLISHED", "SCHEDULED", "ARCHIVED")
POST_STRING_FIELDS = ("title", "blogId", "imageUrl", "description", "rawHTML", "imageAltText", "author", "urlSlug",
                      "publishedAt")
POST_STRING_TYPES = dict.fromkeys((*POST_STRING_FIELDS, "canonicalLink"), "string")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BLOG_NAMES = ("Company News", "Tips & Guides", "Customer Stories")
AUTHOR_NAMES = ("Jordan Avery", "Sam Lee", "Priya Patel", "Marco Rossi")
CATEGORY_LABELS = ("Marketing", "Sales", "Product Updates", "How To", "Case Studies", "Events")
TITLE_WORDS = ("Growth", "Playbook", "Local SEO", "Reviews", "Automation", "Pipelines", "Email", "Retention",
               "Referrals", "Ads")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _site(state: SandboxState, location_id: str) -> str:
    return f"https://blog.{location_id.lower()}.example"


# -- seed ---------------------------------------------------------------------------------------
def seed(state: SandboxState) -> None:
    for location in (state.location_id, _other_location(state)):
        _seed_location(state, location, posts=max(30, state.config.contacts // 20) if location == state.location_id
                       else 5)


def _other_location(state: SandboxState) -> str:
    """A second sub-account's blog, so location filtering is exercised."""
    others = [lid for lid in state.tables.get("locations", {}) if lid != state.location_id]
    return others[0] if others else state.new_id()


def _seed_location(state: SandboxState, location_id: str, posts: int) -> None:
    rng, anchor, site = state.rng, state.seed_anchor(), _site(state, location_id)
    moments = [anchor - timedelta(minutes=rng.randrange(1, 90 * 24 * 60)) for _ in range(max(1, posts // 3))]

    def insert(table: str, **fields: Any) -> dict:
        return state.insert(table, {"locationId": location_id, **fields})

    blogs = [insert("blogs", name=name, updatedAt=iso(rng.choice(moments))) for name in BLOG_NAMES]
    authors = [insert("blog_authors", name=name, updatedAt=iso(rng.choice(moments)),
                      canonicalLink=f"{site}/author/{_slug(name)}") for name in AUTHOR_NAMES]
    categories = [insert("blog_categories", label=label, updatedAt=iso(rng.choice(moments)),
                         urlSlug=_slug(label), canonicalLink=f"{site}/category/{_slug(label)}")
                  for label in CATEGORY_LABELS]
    for index in range(posts):
        title = f"{rng.choice(TITLE_WORDS)} {rng.choice(TITLE_WORDS)} guide #{index + 1}"
        published = rng.choice(moments)  # about three posts per instant: deliberate ties
        status = rng.choices(POST_STATUSES, weights=(15, 70, 5, 10))[0]
        slug = _slug(title)
        insert(
            "blog_posts", blogId=rng.choice(blogs)["id"], title=title, description=f"What we learned about {title}.",
            imageUrl=f"{site}/media/{index}.jpeg", imageAltText=title, rawHTML=f"<h1>{title}</h1><p>...</p>",
            status=status, archived=status == "ARCHIVED", urlSlug=slug, canonicalLink=f"{site}/post/{slug}",
            author=rng.choice(authors)["id"], categories=[c["id"] for c in rng.sample(categories, rng.randint(1, 2))],
            tags=rng.sample(["seo", "growth", "howto", "news"], rng.randint(0, 2)),
            publishedAt=iso(published), updatedAt=iso(published + timedelta(hours=rng.choice((0, 0, 1, 24)))),
        )


# -- answers ------------------------------------------------------------------------------------
def _view(record: dict, *, omit: tuple[str, ...] = ()) -> dict:
    """The record under its Mongo-style ``_id``, first, as HighLevel's blog service answers it."""
    return {"_id": record["id"], **public(record, without=("id", *omit))}


def _category(record: dict) -> dict:
    # The spec lists ``label`` among the properties but requires ``name``: both are sent.
    return {**_view(record), "name": record["label"]}


def _listing(call: Call, table: str, *, skip_param: str, matches: Callable[[dict], bool] = lambda r: True,
             order: Callable[[dict], Any] | None = None) -> list[dict]:
    """One page of a location's records; HighLevel requires both paging parameters on these routes."""
    call.int_query(skip_param)
    call.int_query("limit", minimum=1, maximum=100)
    found = [r for r in of_location(call.table(table).values(), call.location_id) if matches(r)]
    if order is not None:
        found.sort(key=order, reverse=True)
    return offset_page(call, found, skip_param=skip_param)


def _search(call: Call, field: str) -> Callable[[dict], bool]:
    term = (call.query.get("searchTerm") or "").strip().lower()
    return lambda r: term in r[field].lower()


@handles("get_blogs_by_location")
def get_blogs_by_location(call: Call) -> dict:
    return {"data": [_view(b) for b in _listing(call, "blogs", skip_param="skip", matches=_search(call, "name"))]}


@handles("get_blog_authors")
def get_blog_authors(call: Call) -> dict:
    return {"authors": [_view(a) for a in _listing(call, "blog_authors", skip_param="offset")]}


@handles("get_blog_categories")
def get_blog_categories(call: Call) -> dict:
    return {"categories": [_category(c) for c in _listing(call, "blog_categories", skip_param="offset")]}


@handles("get_blog_posts")
def get_blog_posts(call: Call) -> dict:
    blog_id = call.query["blogId"]
    status = call.query.get("status")
    allowed = call.served.query_param("status").enum or POST_STATUSES  # v3 adds ALL: no filter
    if status and status not in allowed:
        raise unprocessable(f"status must be one of the following values: {', '.join(allowed)}")
    status = None if status == "ALL" else status
    title_matches = _search(call, "title")
    posts = _listing(
        call, "blog_posts", skip_param="offset",
        matches=lambda p: p["blogId"] == blog_id and (not status or p["status"] == status) and title_matches(p),
        order=lambda p: (p["publishedAt"], p["id"]),  # newest first; the id keeps tied posts in a stable order
    )
    return {"blogs": [_view(p, omit=("rawHTML",)) for p in posts]}  # listings leave out the post body


@handles("check_blog_url_slug")
def check_blog_url_slug(call: Call) -> dict:
    return {"exists": _slug_taken(call, call.query["urlSlug"], call.query.get("postId"))}


def _slug_taken(call: Call, slug: str, post_id: str | None) -> bool:
    return any(p["urlSlug"] == slug and p["id"] != post_id
               for p in of_location(call.table("blog_posts").values(), call.location_id))


def _post_fields(call: Call, post_id: str | None = None) -> dict:
    """The validated post body (the spec's required fields are checked by the gateway)."""
    data = call.data
    problems = field_problems(data, POST_STRING_TYPES, null_allowed=False)
    for name in ("categories", "tags"):
        if name in data and not (isinstance(data[name], list) and all(isinstance(v, str) for v in data[name])):
            problems.append(f"{name} must be an array of strings")
    if data["status"] not in POST_STATUSES:
        problems.append(f"status must be one of the following values: {', '.join(POST_STATUSES)}")
    if isinstance(data["urlSlug"], str) and not SLUG.match(data["urlSlug"]):
        problems.append("urlSlug must contain only lowercase letters, digits and hyphens")
    try:
        published = iso(parse_time(data["publishedAt"]))
    except (TypeError, ValueError):
        problems.append("publishedAt must be a valid ISO 8601 date string")
    if problems:
        raise unprocessable(*problems)
    call.record("blogs", data["blogId"], "Blog")
    call.record("blog_authors", data["author"], "Author")
    categories = call.table("blog_categories")
    if unknown := [c for c in data["categories"] if c not in categories]:
        raise not_found(f"Category {', '.join(unknown)}")
    if _slug_taken(call, data["urlSlug"], post_id):
        raise bad_request("Url slug already exists")
    fields = {name: data[name] for name in POST_STRING_FIELDS}
    fields.update(
        locationId=call.location_id, status=data["status"], archived=data["status"] == "ARCHIVED",
        categories=list(data["categories"]), tags=list(data.get("tags") or []), publishedAt=published,
        canonicalLink=data.get("canonicalLink") or f"{_site(call.state, call.location_id)}/post/{data['urlSlug']}",
        updatedAt=call.now(),
    )
    return fields


@handles("create_blog_post")
def create_blog_post(call: Call) -> dict:
    post = call.state.insert("blog_posts", _post_fields(call))
    return {"data": _view(post)}


@handles("update_blog_post")
def update_blog_post(call: Call) -> dict:
    post = call.record("blog_posts", call.path["postId"], "Blog post")
    post.update(_post_fields(call, post["id"]))
    return {"updatedBlogPost": _view(post)}
