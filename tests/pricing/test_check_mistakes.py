"""Mistakes `check` can see without running a formula: each a warning naming the field and the fix."""
from __future__ import annotations

import pytest

from celprice.pricing import check_pricing
from celprice.pricing.check import pricing_warnings

BASE = {"prices": {"per_image": 200000}, "inference_expression": "image_count(outputs) * prices.per_image"}


def warnings_of(**fields):
    pricing = {**BASE, **fields}
    assert check_pricing(pricing) == []  # each can be saved: these are warnings, not problems
    return [str(w) for w in pricing_warnings(pricing)]


@pytest.mark.parametrize(
    ("fields", "warning"),
    [
        (
            {"inference_expression": "image_count(outputs) * prices.per_imag"},
            "warning: pricing.inference_expression: prices has no 'per_imag', so reading it always fails; "
            "did you mean 'per_image'?",
        ),
        (
            {"royalty_expression": "prices.royalty"},
            "warning: pricing.royalty_expression: prices has no 'royalty', so reading it always fails; add it to prices",
        ),
        (
            {"partner_expression": "-5"},
            "warning: pricing.partner_expression: the fee is always -5; a fee must not be negative, so it always fails",
        ),
        (
            {"royalty_expression": "prices.per_image / 0"},
            "warning: pricing.royalty_expression: divides by a literal zero, so it always fails",
        ),
        (
            {"inference_expression": "sum(outputs.map(o, o.tokns)) * prices.per_image"},
            "warning: pricing.inference_expression: an output-meta item has no field 'tokns', so reading it fails "
            "unless the app reports that key itself; did you mean 'tokens'?",
        ),
        (
            {"royalty_expression": "size(inputs.filter(i, has(i.widht))) * 10"},
            "warning: pricing.royalty_expression: an output-meta item has no field 'widht', so has() of it is false "
            "unless the app reports that key itself; did you mean 'width'?",
        ),
        (
            {"description": "'Per image'"},
            "warning: pricing.description: the description is plain text, so it is shown with its quotes "
            "('Per image'); a CEL description starts with a double quote: \"Per image\"",
        ),
    ],
)
def test_each_mistake_is_a_warning_naming_the_field_and_the_fix(fields, warning):
    assert warnings_of(**fields) == [warning]


def test_correct_formulas_have_no_such_warnings():
    assert warnings_of(
        royalty_expression="prices.per_image / 10",
        partner_expression="0",
        description='"$" + to_dollars(prices.per_image) + " per image"',
    ) == []
    assert warnings_of(description="Per image, billed when it is made") == []  # plain text, no quotes
    assert warnings_of(royalty_expression="has(prices.royalty) ? prices.royalty : 0") == []
    assert warnings_of(royalty_expression="'royalty' in prices ? prices.royalty : 0") == []
    # Fields the store's items have, and keys of an app's own, far from any of them.
    assert warnings_of(royalty_expression="outputs[0].width + int(outputs[0].extra.steps) + int(outputs[0].quality)") == []
    # A near miss in a map that is not an output-meta item is not one.
    assert warnings_of(royalty_expression="int(task_inputs.widht)") == []
