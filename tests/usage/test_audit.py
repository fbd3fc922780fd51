"""Audit on both backends: a task recorded with its pricing inputs and the
pricing that priced them (a published version, or the AppPricing itself) is
re-evaluated by Ledger.explain to exactly the fees it was charged, on random
ledgers; a charge that does not reproduce says which component differs and
why it might; what cannot be kept is refused, and nothing is written."""
from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import celprice
from celprice.errors import CELEvaluationError
from celprice.usage import Ledger, LedgerError, TaskNotFound
from celprice.usage.audit import MAX_INPUTS_BYTES, NotAuditable

from .helpers import fees, utc
from .test_migrations import query

AT = utc(2026, 6, 4, 9)

# Formulas of every kind a pricing has, reading every task field.
RESOURCE = st.sampled_from(["", "usage_seconds * prices.per_second", "elapsed_ms * 3",
                            "sum(resources.map(r, r.price_per_second)) * elapsed_seconds"])
INFERENCE = st.sampled_from([
    "", "image_count(outputs) * prices.per_image", "prices.per_call",
    "size(task_inputs.prompt) * 10", "task_function == 'fast' ? 100 : 2500",
    "int(outputs.filter(o, o.type == 'image').size()) * prices.per_image + resource_fee / 10",
    "has(task_inputs.steps) ? int(task_inputs.steps) * 7 : 0",
])
ROYALTY = st.sampled_from(["", "resource_fee / 20", "fees.inference_fee / 10"])
TOTAL = st.sampled_from(["", "resource_fee + inference_fee + royalty_fee + partner_fee + 1",
                         "max(resource_fee + inference_fee + royalty_fee + partner_fee, prices.minimum)"])
pricings = st.fixed_dictionaries({
    "prices": st.fixed_dictionaries({name: st.integers(0, 10**9) for name in ("per_second", "per_image", "per_call", "minimum")}),
    "resource_expression": RESOURCE,
    "inference_expression": INFERENCE,
    "royalty_expression": ROYALTY,
    "total_expression": TOTAL,
})
inputs = st.fixed_dictionaries(
    {},
    optional={
        "output_meta": st.fixed_dictionaries({"outputs": st.lists(st.fixed_dictionaries(
            {"type": st.sampled_from(["image", "text"]), "count": st.integers(0, 9)}), max_size=3)}),
        "resources": st.lists(st.fixed_dictionaries({"name": st.text(max_size=5),
                                                     "price_per_second": st.integers(0, 10**6)}), max_size=2),
        "usage_seconds": st.integers(0, 10**5),
        "task_inputs": st.fixed_dictionaries({"prompt": st.text(max_size=20)},
                                             optional={"steps": st.integers(0, 100), "scale": st.floats(0, 10)}),
        "task_function": st.sampled_from(["run", "fast"]),
    },
)
# (pricing index, how it is recorded, inputs, team)
tasks = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["published", "given"]), inputs, st.sampled_from(["a", "b"])),
    min_size=1, max_size=12,
)


def charge(pricing: dict[str, Any], task_inputs: dict[str, Any]) -> dict[str, Any]:
    return celprice.evaluate_pricing({"pricing": pricing, **task_inputs})


def charged(response: dict[str, Any]) -> bool:
    return all("error" not in entry for entry in response.values())


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_ledger(request: pytest.FixtureRequest):
    """One ledger for every example of a test; each example uses new teams and apps."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with Ledger(url) as opened:
        yield opened


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drafts=st.lists(pricings, min_size=3, max_size=3), rows=tasks)
def test_explain_reproduces_every_recorded_charge(shared_ledger: Ledger, drafts, rows) -> None:
    run = uuid.uuid4().hex[:12]
    app = f"acme/app-{run}"
    versions = [shared_ledger.publish_pricing(app, pricing) for pricing in drafts]
    recorded = []
    for index, (which, how, task_inputs, team) in enumerate(rows):
        pricing = drafts[which]
        response = charge(pricing, task_inputs)
        if not charged(response):
            continue  # a failed formula is refused by the ledger, and never charged
        reference = {"pricing_version": versions[which]} if how == "published" else {"pricing": pricing}
        team_id = f"{team}-{run}"
        assert shared_ledger.record_task(team_id, f"task-{index}", app, AT + timedelta(minutes=index), response,
                                         pricing_inputs=task_inputs, **reference)
        recorded.append((team_id, f"task-{index}", response, how, versions[which]))
    for team_id, task_id, response, how, version in recorded:
        explained = shared_ledger.explain(team_id, task_id)
        assert explained.reproduced, explained.notes
        assert explained.notes == []
        assert {c.component: c.evaluated for c in explained.components} == {
            name: entry for name, entry in response.items() if name != "description"
        }
        assert [c.recorded for c in explained.components] == [
            shared_ledger.task_cost(team_id, task_id)[name] for name in
            ("resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total")
        ]
        assert explained.pricing_version == (version if how == "published" else None)
        json.dumps(explained.to_json())  # the CLI's answer is JSON


def test_the_explanation_holds_the_tree_the_explain_command_prints(ledger: Ledger) -> None:
    pricing = {"prices": {"per_image": 250000}, "inference_expression": "image_count(outputs) * prices.per_image"}
    task_inputs = {"output_meta": {"outputs": [{"type": "image", "count": 3}]}, "usage_seconds": 2}
    ledger.record_task("team-1", "task-1", "acme/img", AT, charge(pricing, task_inputs), pricing=pricing,
                       pricing_inputs=task_inputs)
    explained = ledger.explain("team-1", "task-1")
    inference = explained.components[1]
    assert (inference.component, inference.source, inference.recorded) == (
        "inference_fee", "image_count(outputs) * prices.per_image", 750000)
    tree = inference.tree.to_json()
    assert tree["value"] == 750000
    assert [(child["text"], child["value"]) for child in tree["children"]] == [
        ("image_count(outputs)", 3), ("prices.per_image", 250000)]
    assert explained.completed_at == "2026-06-04T09:00:00Z"
    assert explained.inputs == task_inputs and explained.pricing == pricing


def test_a_charge_that_does_not_reproduce_says_which_component_and_why(ledger: Ledger) -> None:
    pricing = {"prices": {"per_call": 500}, "inference_expression": "prices.per_call"}
    # What the caller charged is not what this pricing computes (a bug, or another pricing).
    ledger.record_task("team-1", "task-1", "acme/x", AT, fees(900, inference=900), pricing=pricing,
                       pricing_inputs={"usage_seconds": 0})
    explained = ledger.explain("team-1", "task-1")
    assert not explained.reproduced
    assert explained.notes == ["not reproduced: inference_fee recorded 900, now 500; total recorded 900, now 500"]
    assert [c.reproduced for c in explained.components] == [True, False, True, True, False]


def test_a_task_recorded_by_another_celprice_version_says_so(ledger: Ledger, ledger_url: str | None) -> None:
    pricing = {"prices": {"per_call": 500}, "inference_expression": "prices.per_call"}
    ledger.record_task("team-1", "task-1", "acme/x", AT, charge(pricing, {}), pricing=pricing, pricing_inputs={})
    with ledger._db.transaction(write=True) as tx:  # noqa: SLF001 - as an older celprice would have written it
        tx.change("UPDATE celprice_task_audit SET celprice_version = '0.0.9'", ())
    explained = ledger.explain("team-1", "task-1")
    assert explained.reproduced and explained.recorded_by == "0.0.9"
    assert explained.notes == [
        f"recorded by celprice 0.0.9, evaluated by {celprice.__version__}: a change of the library between "
        "them may change a fee"
    ]


def test_a_pricing_that_calls_a_function_that_is_not_pure_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pricing dialect has no clock today; a service that adds one (or any
    # function not declared pure) gets its charges flagged as possibly not reproducible.
    from celprice import Function, Overload
    from celprice.pricing import components, environment

    ticks = iter(range(100, 10**6))
    clock = Function("clock_ms", [Overload([], "int", lambda: next(ticks))])

    def with_clock(kind: str = "total", **options: Any) -> Any:
        env = environment.pricing_environment(kind, **options)
        return celprice.Environment(variables=env.variables, functions=(*env.custom, clock), records=env.records)

    monkeypatch.setattr(components, "pricing_environment", with_clock)
    pricing = {"inference_expression": "clock_ms() * 0 + 7"}
    with Ledger() as ledger:
        ledger.record_task("team-1", "task-1", "acme/x", AT, fees(7, inference=7), pricing=pricing, pricing_inputs={})
        explained = ledger.explain("team-1", "task-1")
    assert explained.reproduced
    assert explained.notes == [
        "the pricing calls clock_ms, which may read the clock or other state than the task: its value when "
        "recorded may not be its value now"
    ]


def test_a_task_recorded_without_inputs_cannot_be_explained(ledger: Ledger) -> None:
    ledger.record_task("team-1", "task-1", "acme/x", AT, fees(100))
    with pytest.raises(NotAuditable, match="recorded without its pricing inputs"):
        ledger.explain("team-1", "task-1")
    with pytest.raises(TaskNotFound):
        ledger.explain("team-1", "task-2")
    with pytest.raises(TaskNotFound):  # another team's task is no task of this team
        ledger.explain("team-2", "task-1")


@pytest.mark.parametrize(("arguments", "message"), [
    ({"pricing_inputs": {"task_inputs": {"prompt": "x" * MAX_INPUTS_BYTES}}, "pricing": {}},
     "pricing_inputs is 65,565 bytes of JSON, more than the 65,536 a record keeps"),
    ({"pricing_inputs": {"usage_seconds": 1}}, "pricing_inputs need the pricing that priced the task"),
    ({"pricing": {}}, "pricing is kept only with the task's pricing_inputs"),
    ({"pricing_inputs": {}, "pricing": {}, "pricing_version": 1}, "pass pricing_version or pricing, not both"),
    ({"pricing_inputs": {"usage_secs": 1}, "pricing": {}}, "pricing_inputs has unknown key 'usage_secs'"),
    ({"pricing_inputs": {"task_inputs": {"scale": float("nan")}}, "pricing": {}},
     "pricing_inputs.task_inputs.scale must be a finite number to be kept, got nan"),
    ({"pricing_inputs": {"task_inputs": {1: "a"}}, "pricing": {}}, "pricing_inputs.task_inputs has a key that is not a string"),
    ({"pricing_inputs": {"task_inputs": {"raw": b"\x00"}}, "pricing": {}}, "pricing_inputs.task_inputs.raw is a bytes"),
    ({"pricing_inputs": {"usage_seconds": -1}, "pricing": {}},
     "pricing_inputs.usage_seconds: must be a non-negative integer, got -1"),
    ({"pricing_inputs": {}, "pricing": {"prices": {"x": -1}}},
     "pricing.prices.x: must be a non-negative integer, got -1"),
])
def test_what_cannot_be_kept_is_refused_and_nothing_is_written(ledger: Ledger, arguments, message) -> None:
    with pytest.raises(LedgerError, match=re.escape(message)):
        ledger.record_task("team-1", "task-1", "acme/x", AT, fees(100), **arguments)
    with pytest.raises(TaskNotFound):
        ledger.task_cost("team-1", "task-1")


def test_an_unpublished_pricing_is_kept_once(ledger: Ledger, ledger_url: str | None) -> None:
    pricing = {"prices": {"per_call": 500}, "inference_expression": "prices.per_call"}
    same_reordered = {"inference_expression": "prices.per_call", "prices": {"per_call": 500}}
    for number, given in enumerate((pricing, same_reordered, pricing)):
        ledger.record_task("team-1", f"task-{number}", "acme/x", AT, charge(given, {}), pricing=given,
                           pricing_inputs={})
    with ledger._db.transaction(write=False) as tx:  # noqa: SLF001 - the table under test
        assert tx.rows("SELECT COUNT(*) FROM celprice_audit_pricings", ()) == [(1,)]
        assert tx.rows("SELECT COUNT(*) FROM celprice_task_audit", ()) == [(3,)]
    # Recording a task again keeps the first record and its inputs.
    assert not ledger.record_task("team-1", "task-0", "acme/x", AT, charge(pricing, {"usage_seconds": 5}),
                                  pricing=pricing, pricing_inputs={"usage_seconds": 5})
    assert ledger.explain("team-1", "task-0").inputs == {}


def test_a_version_5_ledger_upgrades_and_its_tasks_say_they_have_no_inputs(shared_url: str) -> None:
    from celprice.usage.backends import open_backend
    from celprice.usage.migrations import LATEST, STEPS, upgrade

    db = open_backend(shared_url)
    try:
        upgrade(db, STEPS[:5])
        with db.transaction(write=True) as tx:
            tx.change("""INSERT INTO celprice_tasks (team_id, task_id, app_endpoint, completed_at, completed_day,
                resource_fee, inference_fee, royalty_fee, partner_fee, total) VALUES
                ('team-1', 'task-1', 'acme/x', 0, 0, 0, 100, 0, 0, 100)""", ())
    finally:
        db.close()
    with Ledger(shared_url) as ledger:
        assert query(shared_url, "SELECT version FROM celprice_schema_version") == [(LATEST,)]
        assert ledger.task_cost("team-1", "task-1")["total"] == 100
        with pytest.raises(NotAuditable):
            ledger.explain("team-1", "task-1")
        pricing = {"prices": {"per_call": 500}, "inference_expression": "prices.per_call"}
        ledger.record_task("team-1", "task-2", "acme/x", AT, charge(pricing, {}), pricing=pricing, pricing_inputs={})
        assert ledger.explain("team-1", "task-2").reproduced


def test_the_explain_command(shared_url: str) -> None:
    from .test_cli_usage import cli

    pricing = {"prices": {"per_call": 500}, "inference_expression": "prices.per_call"}
    with Ledger(shared_url) as ledger:
        ledger.record_task("team-1", "task-1", "acme/x", AT, charge(pricing, {}), pricing=pricing, pricing_inputs={})
        ledger.record_task("team-1", "task-2", "acme/x", AT, fees(9), pricing=pricing, pricing_inputs={})
        ledger.record_task("team-1", "task-3", "acme/x", AT, fees(9))
        expected = ledger.explain("team-1", "task-1").to_json()
    done = cli("explain", "--db", shared_url, "--team", "team-1", "task-1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected
    pretty = cli("explain", "--db", shared_url, "--team", "team-1", "task-1", "--pretty").stdout.splitlines()
    assert pretty[2] == "reproduced: yes, every component evaluates to what was recorded"
    assert "inference_fee: recorded 500, evaluates to 500" in pretty
    assert "prices.per_call = 500" in pretty
    differs = cli("explain", "--db", shared_url, "--team", "team-1", "task-2", "--pretty")
    assert differs.returncode == 1
    assert "inference_fee: recorded 0, evaluates to 500   <-- differs" in differs.stdout.splitlines()
    missing = cli("explain", "--db", shared_url, "--team", "team-1", "task-3")
    assert missing.returncode == 1 and "recorded without its pricing inputs" in missing.stderr
