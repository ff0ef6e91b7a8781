"""Every contacts operator against the sandbox: its effect checked through the API, bad input and scopes refused early."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_ghl.exceptions import GHLInputError, GHLNotFoundError, GHLScopeError
from airflow_provider_ghl.links import GHLRecordLink
from airflow_provider_ghl.operators import contacts as ops
from tests.conftest import task_context
from tests.coverage import Exercised

EXERCISED = Exercised("A", {"contacts"})
covers = EXERCISED.covers
MISSING_ID = "NoSuchRecord00000000"


def test_every_contacts_operator_is_exercised():
    EXERCISED.check()


# -- helpers --------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _connections(ghl_connections):
    """Every test talks to the session sandbox through Airflow connections (``ghl_default`` has every scope)."""


def run(operator: Any, *, try_number: int = 1) -> Any:
    return operator.execute(task_context(operator.task_id, try_number=try_number))


def requests_sent(sandbox) -> int:
    return sandbox.stats().get("requests", 0)


def sent(sandbox, key: str) -> int:
    return sandbox.stats().get(f"op:{key}", 0)


@pytest.fixture
def get(api):
    """GET a path with the full token; returns (status, JSON)."""

    def fetch(path: str, **params: Any) -> tuple[int, Any]:
        response = api("GET", path, params=params or None)
        return response.status_code, response.json()

    return fetch


@pytest.fixture
def contact(get) -> Callable[[str], dict]:
    def read(contact_id: str) -> dict:
        status, body = get(f"/contacts/{contact_id}")
        assert status == 200, body
        return body["contact"]

    return read


@pytest.fixture
def new_contact(sandbox) -> Callable[..., dict]:
    """Creates a contact through the operator (a fresh email each time) and returns it."""
    counter = iter(range(1_000_000))

    def create(**body: Any) -> dict:
        number = next(counter)
        body = {"firstName": "Test", "lastName": f"Person{number}", "email": f"test.person{number}.{id(body)}@example.com",
                **body}
        return run(ops.GHLCreateContactOperator(task_id=f"create_{number}", body=body))["contact"]

    return create


def main_location_contact_ids(sandbox) -> list[str]:
    return [c["id"] for c in sandbox.control("GET", "tables/contacts") if c["locationId"] == sandbox.location_id]


def location_users(sandbox) -> list[str]:
    return [u["id"] for u in sandbox.control("GET", "tables/users")
            if sandbox.location_id in (u.get("roles") or {}).get("locationIds", [])]


def first_of(sandbox, table: str) -> str:
    return next(r["id"] for r in sandbox.control("GET", f"tables/{table}") if r.get("locationId") == sandbox.location_id)


@pytest.fixture
def custom_fields(sandbox) -> dict[str, dict]:
    """The location's contact custom fields by name."""
    return {f["name"]: f for f in sandbox.control("GET", "tables/custom_fields")
            if f.get("locationId") == sandbox.location_id and f.get("model") == "contact"}


# -- contacts -------------------------------------------------------------------------------------------
@covers(ops.GHLCreateContactOperator)
def test_create_contact_shows_up_with_its_record_link(sandbox, contact):
    op = ops.GHLCreateContactOperator(task_id="create", body={"firstName": "Ada", "lastName": "Lovelace",
                                                               "email": "ada.create@example.com", "tags": ["VIP"]})
    result = run(op)
    created = contact(result["contact"]["id"])
    assert (created["firstName"], created["email"], created["tags"]) == ("Ada", "ada.create@example.com", ["vip"])
    assert created["locationId"] == sandbox.location_id  # filled from the connection
    app_url = sandbox.connection("full")["extra"]["app_url"]  # the sandbox's own record pages
    expected = f"{app_url}/v2/location/{sandbox.location_id}/contacts/detail/{created['id']}"
    assert op.ghl_record_url == expected
    assert GHLRecordLink().get_link(op, ti_key=None) == expected
    assert GHLRecordLink.name in [link.name for link in ops.GHLCreateContactOperator.operator_extra_links]


@covers(ops.GHLCreateContactOperator)
def test_create_contact_retry_returns_the_contact_instead_of_a_duplicate(sandbox, get):
    body = {"firstName": "Grace", "email": "grace.retry@example.com", "phone": "+15125550199"}
    first = run(ops.GHLCreateContactOperator(task_id="create", body=body))["contact"]
    creates = sent(sandbox, "create_contact")
    again = run(ops.GHLCreateContactOperator(task_id="create", body=body), try_number=2)
    assert again == {"contact": again["contact"], "new": False}
    assert again["contact"]["id"] == first["id"]
    assert sent(sandbox, "create_contact") == creates  # looked up (duplicate search), not sent again
    _, found = get("/contacts/search/duplicate", locationId=sandbox.location_id, email=body["email"])
    assert found["contact"]["id"] == first["id"]


@covers(ops.GHLCreateContactOperator)
def test_create_contact_retry_creates_when_the_first_try_saved_nothing(sandbox, contact):
    body = {"firstName": "Lin", "email": "lin.first-try-failed@example.com"}
    result = run(ops.GHLCreateContactOperator(task_id="create", body=body), try_number=2)
    assert contact(result["contact"]["id"])["email"] == body["email"]


@covers(ops.GHLUpdateContactOperator)
def test_update_contact_changes_only_the_given_fields(new_contact, contact):
    created = new_contact(city="Austin")
    op = ops.GHLUpdateContactOperator(task_id="update", contact_id=created["id"], body={"lastName": "Updated"})
    run(op)
    updated = contact(created["id"])
    assert (updated["lastName"], updated["city"], updated["firstName"]) == ("Updated", "Austin", created["firstName"])
    assert op.ghl_record_url.endswith(f"/contacts/detail/{created['id']}")


@covers(ops.GHLUpsertContactOperator)
def test_upsert_contact_creates_then_updates_the_same_contact(contact):
    body = {"firstName": "Uma", "email": "uma.upsert@example.com"}
    first = run(ops.GHLUpsertContactOperator(task_id="upsert", body=body))
    assert first["new"] is True
    second = run(ops.GHLUpsertContactOperator(task_id="upsert", body={**body, "companyName": "Upsert Inc"}))
    assert second["new"] is False and second["contact"]["id"] == first["contact"]["id"]
    assert contact(first["contact"]["id"])["companyName"] == "Upsert Inc"


@covers(ops.GHLFindContactOperator)
def test_find_contact_by_id_email_and_phone(sandbox, new_contact):
    created = new_contact(email="finn.find@example.com", phone="+15125550142")
    for how in ({"contact_id": created["id"]}, {"email": "FINN.find@example.com"}, {"phone": "(512) 555-0142"}):
        op = ops.GHLFindContactOperator(task_id="find", **how)
        assert run(op)["contact"]["id"] == created["id"], how
        assert op.ghl_record_url.endswith(created["id"])
    # The sandbox counts GET /contacts/search/duplicate under one of the two catalog keys that share it.
    duplicate_searches = sent(sandbox, "get_duplicate_contact") + sent(sandbox, "find_contact")
    assert sent(sandbox, "get_contact") >= 1 and duplicate_searches >= 2


@covers(ops.GHLFindContactOperator)
def test_find_contact_miss_returns_none_or_fails_when_asked(sandbox):
    for how in ({"contact_id": MISSING_ID}, {"email": "nobody.at.all@example.com"}):
        assert run(ops.GHLFindContactOperator(task_id="find", **how)) == {"contact": None}
        with pytest.raises(GHLInputError, match="no contact matches"):
            run(ops.GHLFindContactOperator(task_id="find", fail_if_missing=True, **how))
    with pytest.raises(GHLInputError, match="contact_id, email or phone"):
        ops.GHLFindContactOperator(task_id="find")


@covers(ops.GHLDeleteContactOperator)
def test_delete_contact_then_get_is_404(new_contact, get):
    created = new_contact()
    result = run(ops.GHLDeleteContactOperator(task_id="delete", contact_id=created["id"]))
    assert result["deleted"] is True and result["contact_id"] == created["id"]
    assert get(f"/contacts/{created['id']}")[0] == 404


# -- tags and followers ----------------------------------------------------------------------------------
@covers(ops.GHLAddTagsToContactOperator, ops.GHLRemoveTagsFromContactOperator)
def test_add_and_remove_tags(new_contact, contact):
    created = new_contact(tags=["customer"])
    run(ops.GHLAddTagsToContactOperator(task_id="add", contact_id=created["id"], body={"tags": ["vip", "customer"]}))
    assert sorted(contact(created["id"])["tags"]) == ["customer", "vip"]
    run(ops.GHLRemoveTagsFromContactOperator(task_id="remove", contact_id=created["id"], body={"tags": ["customer"]}))
    assert contact(created["id"])["tags"] == ["vip"]


@covers(ops.GHLAddContactFollowersOperator, ops.GHLRemoveContactFollowersOperator)
def test_add_and_remove_followers(sandbox, new_contact, contact):
    users = location_users(sandbox)[:2]
    created = new_contact()
    run(ops.GHLAddContactFollowersOperator(task_id="follow", contact_id=created["id"], body={"followers": users}))
    assert contact(created["id"])["followers"] == users
    run(ops.GHLRemoveContactFollowersOperator(task_id="unfollow", contact_id=created["id"], body={"followers": users[:1]}))
    assert contact(created["id"])["followers"] == users[1:]


@pytest.fixture
def many_contacts(fresh_sandbox):
    """250 contacts in the location (more than one batch), and the seed of 200 back afterwards."""
    fresh_sandbox.reset(seed=42, contacts=250)
    fresh_sandbox.control("DELETE", "stats")
    ids = main_location_contact_ids(fresh_sandbox)
    assert len(ids) == 250
    yield ids
    fresh_sandbox.reset(seed=42, contacts=200)


@covers(ops.GHLBulkUpdateContactTagsOperator)
def test_bulk_update_contact_tags_sends_batches(fresh_sandbox, many_contacts):
    add = ops.GHLBulkUpdateContactTagsOperator(task_id="bulk", tag_action="add", contact_ids=many_contacts,
                                                body={"tags": ["bulk-tagged"]}, batch_size=100)
    result = run(add)
    assert (result["contacts"], result["batches"]) == (250, 3)
    assert all(r["errorCount"] == 0 for r in result["responses"])
    assert sent(fresh_sandbox, "bulk_update_contact_tags") == 3
    tagged = [c["id"] for c in fresh_sandbox.control("GET", "tables/contacts") if "bulk-tagged" in c["tags"]]
    assert sorted(tagged) == sorted(many_contacts)
    run(ops.GHLBulkUpdateContactTagsOperator(task_id="bulk", tag_action="remove", contact_ids=many_contacts[:120],
                                             body={"tags": ["bulk-tagged"]}, batch_size=100))
    assert sent(fresh_sandbox, "bulk_update_contact_tags") == 5
    tagged = [c["id"] for c in fresh_sandbox.control("GET", "tables/contacts") if "bulk-tagged" in c["tags"]]
    assert sorted(tagged) == sorted(many_contacts[120:])


@covers(ops.GHLBulkBusinessUpdateOperator)
def test_bulk_business_update_attaches_and_detaches_in_batches(fresh_sandbox, many_contacts, get):
    business_id = first_of(fresh_sandbox, "businesses")
    result = run(ops.GHLBulkBusinessUpdateOperator(task_id="attach", business_id=business_id, contact_ids=many_contacts))
    assert (result["contacts"], result["batches"]) == (250, 3)
    assert sent(fresh_sandbox, "bulk_business_update") == 3
    attached = {c["id"] for c in fresh_sandbox.control("GET", "tables/contacts") if c.get("businessId") == business_id}
    assert attached == set(many_contacts)
    status, page = get(f"/contacts/business/{business_id}", locationId=fresh_sandbox.location_id, limit=10)
    assert status == 200 and page["count"] == 250
    run(ops.GHLBulkBusinessUpdateOperator(task_id="detach", business_id=None, contact_ids=many_contacts[:50],
                                          batch_size=50))
    attached = {c["id"] for c in fresh_sandbox.control("GET", "tables/contacts") if c.get("businessId") == business_id}
    assert attached == set(many_contacts[50:])


# -- tasks and notes --------------------------------------------------------------------------------------
@covers(ops.GHLCreateContactTaskOperator, ops.GHLUpdateContactTaskOperator, ops.GHLCompleteContactTaskOperator,
        ops.GHLDeleteContactTaskOperator)
def test_contact_task_lifecycle(new_contact, get):
    contact_id = new_contact()["id"]
    create = ops.GHLCreateContactTaskOperator(
        task_id="task", contact_id=contact_id,
        body={"title": "Call back", "dueDate": "2026-12-01T10:00:00Z", "completed": False})
    created = run(create)["task"]
    # A task has no page of its own: the link opens its contact (catalog record_link), not /contacts/detail/<task id>.
    assert create.ghl_record_url.endswith(f"/contacts/detail/{contact_id}")
    path = f"/contacts/{contact_id}/tasks/{created['id']}"
    assert get(path)[1]["task"]["title"] == "Call back"
    run(ops.GHLUpdateContactTaskOperator(task_id="edit", contact_id=contact_id, contact_task_id=created["id"],
                                         body={"title": "Call again"}))
    assert get(path)[1]["task"]["title"] == "Call again"
    run(ops.GHLCompleteContactTaskOperator(task_id="done", contact_id=contact_id, contact_task_id=created["id"]))
    assert get(path)[1]["task"]["completed"] is True
    run(ops.GHLCompleteContactTaskOperator(task_id="reopen", contact_id=contact_id, contact_task_id=created["id"],
                                           completed=False))
    assert get(path)[1]["task"]["completed"] is False
    run(ops.GHLDeleteContactTaskOperator(task_id="delete", contact_id=contact_id, contact_task_id=created["id"]))
    assert get(path)[0] == 404


@covers(ops.GHLCreateContactNoteOperator, ops.GHLUpdateContactNoteOperator, ops.GHLDeleteContactNoteOperator)
def test_contact_note_lifecycle(new_contact, get):
    contact_id = new_contact()["id"]
    create = ops.GHLCreateContactNoteOperator(task_id="note", contact_id=contact_id,
                                              body={"body": "Called, left a message"})
    note = run(create)["note"]
    assert create.ghl_record_url.endswith(f"/contacts/detail/{contact_id}")  # the note's contact
    path = f"/contacts/{contact_id}/notes/{note['id']}"
    assert get(path)[1]["note"]["body"] == "Called, left a message"
    run(ops.GHLUpdateContactNoteOperator(task_id="edit", contact_id=contact_id, note_id=note["id"],
                                         body={"body": "Called back, booked a demo"}))
    assert get(path)[1]["note"]["body"] == "Called back, booked a demo"
    run(ops.GHLDeleteContactNoteOperator(task_id="delete", contact_id=contact_id, note_id=note["id"]))
    assert get(path)[0] == 404
    assert get(f"/contacts/{contact_id}/notes")[1]["notes"] == []


# -- campaigns and workflows ----------------------------------------------------------------------------
# HighLevel's API does not show a contact's campaigns or workflows, so the effect checked is the accepted
# request (the sandbox checks that the contact and the campaign/workflow exist) and the refusal of unknown ids.
@covers(ops.GHLAddContactToCampaignOperator, ops.GHLRemoveContactFromCampaignOperator,
        ops.GHLRemoveContactFromAllCampaignsOperator)
def test_campaign_enrolment(sandbox, new_contact):
    contact_id, campaign_id = new_contact()["id"], first_of(sandbox, "campaigns")
    before = sandbox.stats().get("status:200", 0) + sandbox.stats().get("status:201", 0)
    assert run(ops.GHLAddContactToCampaignOperator(task_id="add", contact_id=contact_id, campaign_id=campaign_id)) \
        == {"succeded": True}
    removed = run(ops.GHLRemoveContactFromCampaignOperator(task_id="rm", contact_id=contact_id, campaign_id=campaign_id))
    assert removed["deleted"] is True and removed["campaign_id"] == campaign_id
    assert run(ops.GHLRemoveContactFromAllCampaignsOperator(task_id="rm_all", contact_id=contact_id))["deleted"] is True
    after = sandbox.stats().get("status:200", 0) + sandbox.stats().get("status:201", 0)
    assert after - before == 3
    with pytest.raises(GHLNotFoundError):
        run(ops.GHLAddContactToCampaignOperator(task_id="add", contact_id=contact_id, campaign_id=MISSING_ID))
    with pytest.raises(GHLNotFoundError):
        run(ops.GHLRemoveContactFromAllCampaignsOperator(task_id="rm_all", contact_id=MISSING_ID))


@covers(ops.GHLAddContactToWorkflowOperator, ops.GHLRemoveContactFromWorkflowOperator)
def test_workflow_enrolment(sandbox, new_contact):
    contact_id, workflow_id = new_contact()["id"], first_of(sandbox, "workflows")
    added = run(ops.GHLAddContactToWorkflowOperator(task_id="enrol", contact_id=contact_id, workflow_id=workflow_id,
                                                    body={"eventStartTime": "2026-12-01T09:00:00Z"}))
    assert added == {"succeded": True}
    removed = run(ops.GHLRemoveContactFromWorkflowOperator(task_id="out", contact_id=contact_id, workflow_id=workflow_id))
    assert removed["deleted"] is True and removed["workflow_id"] == workflow_id
    with pytest.raises(GHLNotFoundError):
        run(ops.GHLAddContactToWorkflowOperator(task_id="enrol", contact_id=contact_id, workflow_id=MISSING_ID))


# -- custom fields by name ------------------------------------------------------------------------------
def field_values(record: dict) -> dict[str, Any]:
    return {item["id"]: item["value"] for item in record.get("customFields", [])}


@covers(ops.GHLCreateContactOperator, ops.GHLUpdateContactOperator, ops.GHLUpsertContactOperator)
def test_custom_fields_by_name_on_create_update_and_upsert(sandbox, custom_fields, contact):
    source, tier = custom_fields["Lead Source"], custom_fields["Background Notes"]
    lists = sent(sandbox, "list_custom_fields")
    created = run(ops.GHLCreateContactOperator(
        task_id="create", body={"firstName": "Cy", "email": "cy.fields@example.com"},
        custom_fields={"Lead Source": "web", "background_notes": "met at the expo"}))["contact"]
    assert sent(sandbox, "list_custom_fields") == lists + 1  # one list call for two fields
    assert field_values(contact(created["id"])) == {source["id"]: "web", tier["id"]: "met at the expo"}

    run(ops.GHLUpdateContactOperator(task_id="update", contact_id=created["id"],
                                     custom_fields={"lead source": "referral"}))  # names match case-insensitively
    assert field_values(contact(created["id"]))[source["id"]] == "referral"

    upserted = run(ops.GHLUpsertContactOperator(task_id="upsert", body={"email": "cy.fields@example.com"},
                                                custom_fields={"contact.background_notes": "upserted"}))
    assert upserted["new"] is False
    assert field_values(contact(created["id"])) == {source["id"]: "referral", tier["id"]: "upserted"}
    assert sent(sandbox, "list_custom_fields") == lists + 3  # cached per task run: one per operator run


def test_unknown_custom_field_fails_listing_the_known_ones_before_writing(sandbox):
    op = ops.GHLCreateContactOperator(task_id="create", body={"firstName": "Nope"}, custom_fields={"Favourite Colour": "red"})
    creates = sent(sandbox, "create_contact")
    with pytest.raises(GHLInputError) as failure:
        run(op)
    assert "'Favourite Colour'" in str(failure.value)
    assert "Lead Source (contact.lead_source)" in str(failure.value)
    assert sent(sandbox, "create_contact") == creates


# -- bad input and scopes: refused before any request -----------------------------------------------------
BAD_INPUT = [
    pytest.param(ops.GHLUpdateContactOperator, {"body": {"firstName": "X"}}, "contact_id", id="missing-path-argument"),
    pytest.param(ops.GHLDeleteContactTaskOperator, {"contact_id": "abc"}, "contact_task_id", id="missing-second-path"),
    pytest.param(ops.GHLAddTagsToContactOperator, {"contact_id": 12.5, "body": {"tags": ["a"]}}, "contact_id",
                 id="path-argument-type"),
    pytest.param(ops.GHLCreateContactTaskOperator, {"contact_id": "abc", "body": {"dueDate": "2026-12-01T10:00:00Z"}},
                 "title", id="missing-body-field"),
    pytest.param(ops.GHLCreateContactOperator, {"body": {"firstname": "ada"}}, "firstname", id="unknown-body-field"),
    pytest.param(ops.GHLAddTagsToContactOperator, {"contact_id": "abc", "body": {"tags": "vip"}}, "tags",
                 id="wrong-body-type"),
    pytest.param(ops.GHLUpdateContactNoteOperator, {"contact_id": "abc", "note_id": "n", "body": ["body"]}, "body",
                 id="body-not-a-dict"),
    pytest.param(ops.GHLCreateContactOperator, {"body": {}, "query": "x=1"}, "query", id="query-not-a-dict"),
    pytest.param(ops.GHLRemoveContactFromAllCampaignsOperator, {"contact_id": "abc", "body": {"x": 1}}, "body",
                 id="body-on-bodiless-operation"),
    pytest.param(ops.GHLUpsertContactOperator, {"body": {}, "custom_fields": ["Lead Source"]}, "custom_fields",
                 id="custom-fields-not-a-dict"),
    pytest.param(ops.GHLBulkUpdateContactTagsOperator, {"tag_action": "add", "contact_ids": "abc", "body": {"tags": ["a"]}},
                 "contact_ids", id="batch-ids-not-a-list"),
    pytest.param(ops.GHLBulkBusinessUpdateOperator, {"contact_ids": ["a"], "batch_size": 0}, "batch_size",
                 id="batch-size"),
    pytest.param(ops.GHLBulkUpdateContactTagsOperator, {"tag_action": "add", "contact_ids": ["a"]}, "tags",
                 id="batch-missing-body-field"),
    pytest.param(ops.GHLFindContactOperator, {}, "contact_id, email or phone", id="find-without-key"),
]


@pytest.mark.parametrize(("cls", "arguments", "field"), BAD_INPUT)
def test_bad_input_is_refused_at_parse_time_naming_the_field(sandbox, cls, arguments, field):
    # A path argument left out entirely is Airflow's own check ("missing keyword argument"); the rest is ours.
    required = {n for n, p in inspect.signature(cls.__init__).parameters.items()
                if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
    before = requests_sent(sandbox)
    with pytest.raises(TypeError if required - arguments.keys() else GHLInputError) as failure:
        cls(task_id="bad", **arguments)
    assert field in str(failure.value)
    assert requests_sent(sandbox) == before


@pytest.mark.parametrize(("cls", "arguments", "field"), BAD_INPUT)
def test_bad_rendered_input_is_refused_before_any_request(sandbox, cls, arguments, field):
    """Templated values are checked after rendering, in ``execute``, before the first request."""
    op = cls(task_id="bad", **{name: "{{ params.value }}" for name in cls.template_fields})
    defaults = inspect.signature(cls.__init__).parameters
    for name in cls.template_fields:  # what rendering leaves: the bad arguments, the rest at their defaults
        default = defaults[name].default
        setattr(op, name, arguments.get(name, None if default is inspect.Parameter.empty else default))
    before = requests_sent(sandbox)
    with pytest.raises(GHLInputError) as failure:
        run(op)
    assert field in str(failure.value)
    assert requests_sent(sandbox) == before


SCOPE_REFUSALS = [
    pytest.param(ops.GHLCreateContactOperator, {"body": {"firstName": "Ro"}}, id="create"),
    pytest.param(ops.GHLDeleteContactOperator, {"contact_id": "abc"}, id="delete"),
    pytest.param(ops.GHLCompleteContactTaskOperator, {"contact_id": "abc", "contact_task_id": "t"}, id="complete-task"),
    pytest.param(ops.GHLBulkUpdateContactTagsOperator,
                 {"tag_action": "add", "contact_ids": ["a", "b"], "body": {"tags": ["x"]}}, id="bulk"),
    pytest.param(ops.GHLAddContactToWorkflowOperator, {"contact_id": "abc", "workflow_id": "w"}, id="workflow"),
]


@pytest.mark.parametrize(("cls", "arguments"), SCOPE_REFUSALS)
def test_read_only_connection_refuses_writes_before_sending(sandbox, cls, arguments):
    op = cls(task_id="write", ghl_conn_id="ghl_readonly", **arguments)
    before = requests_sent(sandbox)
    with pytest.raises(GHLScopeError) as failure:
        run(op)
    assert "contacts.write" in str(failure.value)
    assert failure.value.missing == ("contacts.write",)
    assert requests_sent(sandbox) == before


def test_read_only_connection_may_find(new_contact):
    created = new_contact()
    found = run(ops.GHLFindContactOperator(task_id="find", ghl_conn_id="ghl_readonly", contact_id=created["id"]))
    assert found["contact"]["id"] == created["id"]


# -- one example DAG with mapped operators, run with dag.test() -------------------------------------------
@covers(ops.GHLUpsertContactOperator, ops.GHLAddTagsToContactOperator, ops.GHLCreateContactNoteOperator)
def test_example_mapped_contacts_dag(fresh_sandbox, dag_runner, api):
    result = dag_runner.run("example_ghl_mapped_contacts")
    assert result.succeeded, (result.task_states, result.failed_tasks)
    upserts = result.xcoms["upsert_contacts"]
    assert len(upserts) == 3 and all(u["new"] for u in upserts)
    for upsert in upserts:
        record = api("GET", f"/contacts/{upsert['contact']['id']}").json()["contact"]
        assert "imported" in record["tags"] and "mapped" in record["tags"]
        notes = api("GET", f"/contacts/{record['id']}/notes").json()["notes"]
        assert [n["body"] for n in notes] == [f"Imported {record['email']}"]


def test_read_only_connection_refuses_before_resolving_custom_fields(sandbox):
    op = ops.GHLCreateContactOperator(task_id="write", ghl_conn_id="ghl_readonly", body={"firstName": "Ro"},
                                      custom_fields={"Lead Source": "web"})
    before = requests_sent(sandbox)
    with pytest.raises(GHLScopeError, match=r"contacts\.write"):
        run(op)
    assert requests_sent(sandbox) == before  # not even the List Custom Fields call


def test_date_of_birth_as_a_date_string(contact):
    created = run(ops.GHLCreateContactOperator(task_id="create", body={"firstName": "Bea", "dateOfBirth": "1990-05-17"}))
    assert contact(created["contact"]["id"])["dateOfBirth"].startswith("1990-05-17")


@covers(ops.GHLBulkUpdateContactTagsOperator)
def test_bulk_remove_all_tags(new_contact, contact):
    targets = [new_contact(tags=["a", "b"])["id"], new_contact(tags=["c"])["id"]]
    run(ops.GHLBulkUpdateContactTagsOperator(task_id="clear", tag_action="remove", contact_ids=targets,
                                             body={"tags": [], "removeAllTags": True}))
    assert [contact(i)["tags"] for i in targets] == [[], []]
