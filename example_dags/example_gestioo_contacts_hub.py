"""Pattern 4: contacts hub. Aggregate the location's contact data, and route the contacts that came from
Gestioo into workflows or campaigns by tag.

Input: Gestioo's routing rules, ``gestioo_data/routing.json``: ``source_tag`` (which contacts came from
Gestioo), ``routed_tag`` (set once a contact is routed, so a rerun never enrolls it twice) and ``rules``
(``{"tag": ..., "workflow": <name>}`` or ``{"tag": ..., "campaign": <name>}``, first match wins).

- Workflows and campaigns are looked up by name (List Workflows, List Campaigns), never by a hard-coded
  id; a rule naming one the account does not have is reported, not fatal.
- Every contact is read once with ``GHLHook.paginate("search_contacts")`` (memory stays flat: only counts
  and the Gestioo contacts are kept). Output: ``$GHL_EXAMPLE_OUTPUT/contacts_hub/hub.json``.
- ``GHLAddContactToWorkflowOperator`` and ``GHLAddContactToCampaignOperator`` are mapped over the
  enrolments (an empty list skips them); ``GHLBulkUpdateContactTagsOperator`` then tags the routed contacts.

Works unchanged against the real API: only the ``ghl_default`` connection differs.
"""

from __future__ import annotations

import json
from collections import Counter

from airflow.sdk import dag, task
from gestioo_common import DAG_DEFAULTS, gestioo_file, output_dir

from airflow_provider_ghl.operators.contacts import (
    GHLAddContactToCampaignOperator,
    GHLAddContactToWorkflowOperator,
    GHLBulkUpdateContactTagsOperator,
)


def ids_by_name(records: list[dict]) -> dict[str, str]:
    """Name -> id, case-insensitive; a published record wins over a draft of the same name."""
    ordered = sorted(records, key=lambda record: record.get("status") == "published")
    return {str(record.get("name", "")).casefold(): record["id"] for record in ordered}


@dag(schedule=None, doc_md=__doc__, **DAG_DEFAULTS)
def example_gestioo_contacts_hub():
    @task(multiple_outputs=True)
    def aggregate_and_route() -> dict:
        from airflow_provider_ghl.hooks.ghl import GHLHook

        routing = json.loads(gestioo_file("routing.json").read_text())
        source_tag, routed_tag = routing["source_tag"], routing["routed_tag"]
        with GHLHook() as hook:
            targets = {"workflow": ids_by_name(hook.call("list_workflows")["workflows"]),
                       "campaign": ids_by_name(hook.call("list_campaigns")["campaigns"])}
            totals: Counter = Counter()
            by_tag: Counter = Counter()
            gestioo_contacts = []
            for contact in hook.paginate("search_contacts", page_size=100):
                tags = contact.get("tags") or []
                totals.update(contacts=1, with_email=bool(contact.get("email")), with_phone=bool(contact.get("phone")))
                by_tag.update(tags)
                if source_tag in tags:
                    gestioo_contacts.append(contact)

        enrolments: dict[str, list[dict]] = {"workflow": [], "campaign": []}
        missing, hub = set(), []
        for contact in gestioo_contacts:
            tags, route = contact.get("tags") or [], None
            rule = next((r for r in routing["rules"] if r["tag"] in tags), None)
            if rule is not None:
                kind = "workflow" if "workflow" in rule else "campaign"
                target_id = targets[kind].get(rule[kind].casefold())
                if target_id is None:
                    missing.add(f"{kind} {rule[kind]!r}")
                else:
                    route = {"kind": kind, "name": rule[kind], "id": target_id,
                             "done_before": routed_tag in tags}
                    if not route["done_before"]:
                        enrolments[kind].append({"contact_id": contact["id"], f"{kind}_id": target_id})
            hub.append({"id": contact["id"], "name": f"{contact.get('firstName', '')} {contact.get('lastName', '')}".strip(),
                        "email": contact.get("email"), "company": contact.get("companyName"), "tags": tags,
                        "route": route})

        path = output_dir("contacts_hub") / "hub.json"
        path.write_text(json.dumps({"totals": dict(totals), "contacts_by_tag": dict(by_tag.most_common()),
                                    "gestioo_contacts": hub, "missing_targets": sorted(missing)}, indent=2))
        routed = [e["contact_id"] for e in (*enrolments["workflow"], *enrolments["campaign"])]
        return {"workflow_enrolments": enrolments["workflow"], "campaign_enrolments": enrolments["campaign"],
                "routed_ids": routed, "mark_routed": {"tags": [routed_tag]}, "path": str(path),
                "totals": dict(totals), "gestioo_contacts": len(hub), "missing_targets": sorted(missing),
                "already_routed": sum(1 for c in hub if c["route"] and c["route"]["done_before"])}

    @task
    def enrolments(plan: dict, kind: str) -> list[dict]:
        """A plain list to map over (Airflow maps only over a task's whole return value)."""
        return plan[f"{kind}_enrolments"]

    plan = aggregate_and_route()
    workflows = GHLAddContactToWorkflowOperator.partial(task_id="enroll_in_workflow").expand_kwargs(
        enrolments.override(task_id="workflow_enrolments")(plan, "workflow"))
    campaigns = GHLAddContactToCampaignOperator.partial(task_id="add_to_campaign").expand_kwargs(
        enrolments.override(task_id="campaign_enrolments")(plan, "campaign"))
    marked = GHLBulkUpdateContactTagsOperator(
        task_id="mark_routed", tag_action="add", contact_ids=plan["routed_ids"], body=plan["mark_routed"],
        trigger_rule="none_failed",
    )
    [workflows, campaigns] >> marked

    @task(trigger_rule="none_failed")
    def summary(plan: dict) -> list[str]:
        totals = plan["totals"]
        lines = [
            f"hub of {totals.get('contacts', 0)} contacts ({totals.get('with_email', 0)} with email, "
            f"{totals.get('with_phone', 0)} with phone), {plan['gestioo_contacts']} from Gestioo",
            f"routed {len(plan['workflow_enrolments'])} into workflows, {len(plan['campaign_enrolments'])} into "
            f"campaigns ({plan['already_routed']} routed by an earlier run)",
            f"hub: {plan['path']}",
        ]
        if plan["missing_targets"]:
            lines.append(f"not in this account: {', '.join(plan['missing_targets'])}")
        return lines

    marked >> summary(plan)


example_gestioo_contacts_hub()
