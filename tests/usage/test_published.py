"""Published pricings on both backends: publishing, patching (a price set to 0
removes it), reading versions, the rendered description, refusals, the estimate
of a published pricing, and the version a recorded task was priced with."""
from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from celprice import evaluate_pricing
from celprice.usage import InvalidPricing, Ledger, LedgerError, PricingNotFound
from celprice.usage.backends import open_backend
from celprice.usage.migrations import LATEST, STEPS, VERSION_TABLE, upgrade

from .helpers import fees, utc
from .test_migrations import query, run_sql

APP = "acme/sdxl-turbo"
NOW = utc(2026, 6, 4, 12)
IMAGES = {
    "prices": {"per_image": 2500000, "per_upscale": 1000000},
    "inference_expression": "image_count(outputs) * prices.per_image",
    "description": "$0.025 per image",
}


def test_publish_numbers_versions_per_app_from_1(ledger: Ledger) -> None:
    assert ledger.publish_pricing(APP, IMAGES) == 1
    assert ledger.publish_pricing(APP, {**IMAGES, "prices": {"per_image": 3000000}}) == 2
    assert ledger.publish_pricing("zeta/video", {"inference_expression": "5"}) == 1
    assert ledger.pricing(APP)["version"] == 2
    assert ledger.pricing(APP, 1)["prices"] == {"per_image": 2500000, "per_upscale": 1000000}
    assert ledger.pricing(APP, version=2)["prices"] == {"per_image": 3000000}


def test_the_published_pricing_as_the_store_answers_it(ledger: Ledger) -> None:
    ledger.publish_pricing(APP, {**IMAGES, "prices": {"per_image": 2500.0}})
    assert ledger.pricing(APP) == {
        "prices": {"per_image": 2500},
        "resource_expression": "",
        "inference_expression": "image_count(outputs) * prices.per_image",
        "royalty_expression": "",
        "partner_expression": "",
        "total_expression": "",
        # D1: a plain description is wrapped as a CEL string literal on save.
        "description": '"$0.025 per image"',
        "upstream_pricing": "",
        "estimate": "",
        "description_rendered": "$0.025 per image",
        "app_endpoint": APP,
        "version": 1,
    }


@pytest.mark.parametrize(
    "plain",
    ['say "hi" \\ bye', "tab\there\nnew line", "  leading blanks", "ünïcödé — $0.02 🎨", "'single'", "2 + 2"],
)
def test_a_plain_description_renders_as_written(ledger: Ledger, plain: str) -> None:
    ledger.publish_pricing(APP, {"description": plain})
    answer = ledger.pricing(APP)
    assert answer["description"].startswith('"') and answer["description_rendered"] == plain


def test_a_cel_description_is_kept_and_rendered(ledger: Ledger) -> None:
    ledger.publish_pricing(APP, {**IMAGES, "description": '"$" + to_dollars(prices.per_image) + " per image"'})
    answer = ledger.pricing(APP)
    assert answer["description"] == '"$" + to_dollars(prices.per_image) + " per image"'
    assert answer["description_rendered"] == "$0.025 per image"
    ledger.publish_pricing(APP, {})
    assert (ledger.pricing(APP)["description"], ledger.pricing(APP)["description_rendered"]) == ("", "")


def test_patch_merges_prices_and_a_zero_removes_the_key(ledger: Ledger) -> None:
    ledger.publish_pricing(APP, {**IMAGES, "description": '"$" + to_dollars(prices.per_image) + " per image"'})
    assert ledger.patch_pricing(APP, {"prices": {"per_image": 3000000, "per_upscale": 0, "per_video": 7}}) == 2
    patched = ledger.pricing(APP)
    assert patched["prices"] == {"per_image": 3000000, "per_video": 7}
    assert patched["inference_expression"] == IMAGES["inference_expression"]  # untouched
    assert patched["description_rendered"] == "$0.03 per image"  # rendered with the new prices
    assert ledger.pricing(APP, 1)["prices"] == IMAGES["prices"]  # the old version stays
    # 0.0 removes too; removing a key that is not there changes nothing else.
    assert ledger.patch_pricing(APP, {"prices": {"per_video": 0.0, "absent": 0}}) == 3
    assert ledger.pricing(APP)["prices"] == {"per_image": 3000000}


def test_patch_replaces_expressions(ledger: Ledger) -> None:
    ledger.publish_pricing(APP, {**IMAGES, "royalty_expression": "100", "total_expression": "inference_fee + royalty_fee"})
    ledger.patch_pricing(APP, {"royalty_expression": "", "inference_expression": "prices.per_image", "description": "Flat"})
    answer = ledger.pricing(APP)
    assert answer["royalty_expression"] == ""  # "" resets to the default
    assert answer["inference_expression"] == "prices.per_image"
    assert answer["total_expression"] == "inference_fee + royalty_fee"  # not in the patch: kept
    assert (answer["description"], answer["description_rendered"]) == ('"Flat"', "Flat")
    ledger.patch_pricing(APP, {"total_expression": None})  # null: kept, as if absent
    assert ledger.pricing(APP)["total_expression"] == "inference_fee + royalty_fee"


def test_a_pricing_with_problems_is_refused_naming_them(ledger: Ledger) -> None:
    bad = {"prices": {"per_image": -1}, "inference_expression": "image_count(outputs) *", "totl_expression": "1"}
    with pytest.raises(InvalidPricing) as info:
        ledger.publish_pricing(APP, bad)
    message = str(info.value)
    assert message.startswith(f"the pricing of '{APP}' cannot be published: 3 problems: ")
    assert "pricing.prices.per_image: must be a non-negative integer, got -1" in message
    assert "pricing.totl_expression: unknown field 'totl_expression'; did you mean 'total_expression'?" in message
    assert "inference_expression:1:23: Syntax error" in message
    assert [p.component for p in info.value.problems] == ["pricing.prices.per_image", "pricing.totl_expression", "inference_expression"]
    with pytest.raises(PricingNotFound):  # nothing was published
        ledger.pricing(APP)


def test_a_patch_whose_result_has_problems_is_refused(ledger: Ledger) -> None:
    ledger.publish_pricing(APP, IMAGES)
    with pytest.raises(InvalidPricing, match=r"inference_expression:1:22: found no matching overload for '_\*_' applied to '\(int, double\)'"):
        ledger.patch_pricing(APP, {"inference_expression": "image_count(outputs) * 2.5"})
    with pytest.raises(InvalidPricing, match=r'pricing.prices.per_image: must be a non-negative integer, got "a"'):
        ledger.patch_pricing(APP, {"prices": {"per_image": "a"}})
    with pytest.raises(LedgerError, match=r"^patch.inference_expresion: unknown field 'inference_expresion'; did you mean 'inference_expression'\?$"):
        ledger.patch_pricing(APP, {"inference_expresion": "1"})
    with pytest.raises(LedgerError, match="^patch must be an object of AppPricing fields, got an array$"):
        ledger.patch_pricing(APP, [])  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="^patch.prices must be an object, got 3$"):
        ledger.patch_pricing(APP, {"prices": 3})
    assert ledger.pricing(APP)["version"] == 1  # nothing was published


def test_a_description_that_cannot_render_is_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidPricing, match=r"1 problem: description:1:24: no such key: 'nope'"):
        ledger.publish_pricing(APP, {"description": '"$" + to_dollars(prices.nope)'})
    ledger.publish_pricing(APP, {"prices": {"base": 5}, "description": '"$" + to_dollars(prices.base)'})
    with pytest.raises(InvalidPricing, match="no such key: 'base'"):
        ledger.patch_pricing(APP, {"prices": {"base": 0}})


def test_missing_pricings_and_versions(ledger: Ledger) -> None:
    with pytest.raises(PricingNotFound, match=f"^no pricing published for app '{APP}'$"):
        ledger.pricing(APP)
    with pytest.raises(PricingNotFound, match=f"^no pricing published for app '{APP}'$"):
        ledger.patch_pricing(APP, {"prices": {"x": 1}})
    with pytest.raises(PricingNotFound, match=f"^app '{APP}' has no pricing version 1: it has no published pricing$"):
        ledger.pricing(APP, 1)
    ledger.publish_pricing(APP, IMAGES)
    with pytest.raises(PricingNotFound, match=rf"^app '{APP}' has no pricing version 2 \(its versions are 1 to 1\)$"):
        ledger.pricing(APP, 2)
    assert isinstance(PricingNotFound(APP), LookupError)


@pytest.mark.parametrize("endpoint", ["acme", "acme/", "/x", "a/b/c", "acme/sdxl turbo", "-a/b", "", 7, None, "a/" + "b" * 1030])
def test_app_endpoints_are_namespace_slash_name(ledger: Ledger, endpoint: object) -> None:
    with pytest.raises(LedgerError, match="^app_endpoint must be"):
        ledger.publish_pricing(endpoint, IMAGES)  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="^app_endpoint must be"):
        ledger.pricing(endpoint)  # type: ignore[arg-type]


@pytest.mark.parametrize("version", [0, -1, True, 1.0, "1"])
def test_versions_are_integers_from_1(ledger: Ledger, version: object) -> None:
    ledger.publish_pricing(APP, IMAGES)
    with pytest.raises(LedgerError, match="^version must be an integer from 1, got "):
        ledger.pricing(APP, version)  # type: ignore[arg-type]


def test_a_recorded_task_keeps_its_pricing_version(ledger: Ledger) -> None:
    version = ledger.publish_pricing(APP, IMAGES)
    ledger.patch_pricing(APP, {"prices": {"per_image": 3000000}})
    priced = evaluate_pricing({"pricing": ledger.pricing(APP, version), "output_meta": {"outputs": [{"type": "image", "count": 2}]}})
    assert ledger.record_task("team-a", "task-1", APP, NOW, priced, pricing_version=version)
    cost = ledger.task_cost("team-a", "task-1")
    assert (cost["total"], cost["pricing_version"]) == (5000000, 1)
    ledger.record_task("team-a", "task-2", APP, NOW, fees(10))
    assert "pricing_version" not in ledger.task_cost("team-a", "task-2")


def test_a_pricing_version_the_app_does_not_have_is_refused(ledger: Ledger) -> None:
    ledger.publish_pricing(APP, IMAGES)
    with pytest.raises(PricingNotFound, match=rf"^app '{APP}' has no pricing version 2 \(its versions are 1 to 1\)$"):
        ledger.record_task("team-a", "task-1", APP, NOW, fees(10), pricing_version=2)
    with pytest.raises(PricingNotFound, match="^app 'zeta/video' has no pricing version 1: it has no published pricing$"):
        ledger.record_task("team-a", "task-1", "zeta/video", NOW, fees(10), pricing_version=1)
    with pytest.raises(LedgerError, match="^pricing_version must be an integer from 1, got 0$"):
        ledger.record_task("team-a", "task-1", APP, NOW, fees(10), pricing_version=0)
    with pytest.raises(Exception):
        ledger.task_cost("team-a", "task-1")  # nothing was recorded


def test_the_estimate_of_a_published_pricing(ledger: Ledger) -> None:
    ledger.publish_pricing("acme/flat", {
        "prices": {"per_image": 2000000},
        "resource_expression": "0",
        "inference_expression": "get(task_inputs, 'n', 1) * prices.per_image",
        "description": '"$" + to_dollars(prices.per_image) + " per image"',
    })
    assert ledger.estimate("acme/flat", {"input": {"n": 4}}) == {
        "confidence": "exact", "microcents": 8000000, "pricing_description": "$0.02 per image",
    }
    ledger.publish_pricing(APP, IMAGES)
    assert ledger.estimate(APP) == {
        "confidence": "unknown", "depends_on": ["elapsed_ms", "outputs", "resources"], "pricing_description": "$0.025 per image",
    }
    assert ledger.estimate(APP, {"input": {}}, resources=[])["depends_on"] == ["outputs"]
    ledger.patch_pricing(APP, {"estimate": "{'min': prices.per_image, 'max': 4 * prices.per_image}"})
    assert ledger.estimate(APP, {"input": {"prompt": "a cat"}}) == {
        "confidence": "range", "min": 2500000, "max": 10000000, "pricing_description": "$0.025 per image",
    }
    assert ledger.estimate(APP, {}, version=1)["confidence"] == "unknown"
    with pytest.raises(LedgerError, match="^input: must be an object, got 3$"):
        ledger.estimate(APP, {"input": 3})
    with pytest.raises(LedgerError, match="^the estimate request must be an object"):
        ledger.estimate(APP, [])  # type: ignore[arg-type]
    with pytest.raises(PricingNotFound):
        ledger.estimate("acme/none", {})


def test_concurrent_publishers_get_distinct_versions(open_ledger: Callable[[], Ledger]) -> None:
    ledgers = [open_ledger() for _ in range(4)]
    ledgers[0].publish_pricing(APP, IMAGES)
    versions: list[int] = []
    errors: list[BaseException] = []

    def work(ledger: Ledger, n: int) -> None:
        try:
            for i in range(5):
                if i % 2:
                    versions.append(ledger.patch_pricing(APP, {"prices": {f"p{n}_{i}": 1}}))
                else:
                    versions.append(ledger.publish_pricing(APP, {**IMAGES, "upstream_pricing": f"{n}-{i}"}))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(ledger, n)) for n, ledger in enumerate(ledgers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(versions) == list(range(2, 22))
    assert ledgers[0].pricing(APP)["version"] == 21


def _pricings_step() -> int:
    """The schema version that added published pricings (its number moves when
    other versions land before it)."""
    return next(i for i, step in enumerate(STEPS, 1) if any("celprice_pricings" in s for s in step))


def test_a_ledger_of_the_previous_version_upgrades(shared_url: str) -> None:
    step = _pricings_step()
    db = open_backend(shared_url)
    try:
        upgrade(db, STEPS[: step - 1])
    finally:
        db.close()
    run_sql(shared_url, [], [(
        "INSERT INTO celprice_tasks (team_id, task_id, app_endpoint, completed_at, completed_day, resource_fee, "
        "inference_fee, royalty_fee, partner_fee, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [("team-a", "task-1", APP, 1780563600 * 10**6, 20608, 0, 500, 0, 0, 500)],
    )])
    with Ledger(shared_url) as ledger:
        assert query(shared_url, f"SELECT version FROM {VERSION_TABLE}") == [(LATEST,)]
        assert ledger.task_cost("team-a", "task-1")["total"] == 500
        assert "pricing_version" not in ledger.task_cost("team-a", "task-1")
        assert ledger.publish_pricing(APP, IMAGES) == 1
        ledger.record_task("team-a", "task-2", APP, NOW, fees(10), pricing_version=1)
        assert ledger.task_cost("team-a", "task-2")["pricing_version"] == 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_every_plain_description_renders_exactly_as_written(text: str) -> None:
    from celprice.pricing.components import is_plain_text
    from celprice.pricing.evaluator import engine_for
    from celprice.usage.published import saved

    if not text.strip() or not is_plain_text(text):
        return
    stored = saved(APP, {"description": text})
    assert not is_plain_text(stored["description"])
    assert engine_for(stored).description == (text, None)
