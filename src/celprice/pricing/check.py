"""Save-time validation of an AppPricing: every problem at once, nothing evaluated."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..env import Limits
from ..errors import format_snippet
from .. import ast
from .components import FEE_FIELDS, FEE_NAMES, PricingDefaults, Problem, compile_field, is_plain_text
from ..spelling import closest
from .messages import Message, unknown_keys
from .meta import ITEM_KEYS
from .reads import free_names
from .request import OUTPUT_META_FIELDS, PRICING_FIELDS, REQUEST_FIELDS, pricing_problems

__all__ = ["check_pricing", "pricing_warnings", "request_warnings"]


def _source(pricing: Mapping[str, Any], field: str, defaults: PricingDefaults) -> str | None:
    """The text the service would compile for a field (its default when blank), or
    None when there is nothing to compile (not a string: already a shape problem)."""
    value = pricing.get(field)
    if value is not None and type(value) is not str:
        return None
    if not value or value.isspace():
        return getattr(defaults, field, None)
    return value


def check_pricing(
    pricing: Any,
    *,
    defaults: PricingDefaults | None = None,
    nonstandard_promotion: bool = False,
    limits: Limits | None = None,
) -> list[Problem]:
    """Every problem of an AppPricing: its shape (bad prices, non-string fields) and each
    expression's syntax errors, undeclared references and type errors (a fee whose type
    can never be a number, a description that can never be a string). An empty list
    means it can be saved."""
    defaults = defaults or PricingDefaults()
    _, shape = pricing_problems(pricing)
    problems = [Problem(path, None, None, message) for path, message in shape]
    if not isinstance(pricing, Mapping):
        return problems
    # The store's decoder would drop an unknown field, so a misspelt expression
    # would silently become its default: refused when saving.
    unknown = unknown_keys(pricing, PRICING_FIELDS, "pricing")
    problems += [Problem(path, None, None, message) for path, message, _ in unknown]
    for field in FEE_FIELDS:
        source = _source(pricing, field, defaults)
        if source is not None:
            problems += _checked(field, source, _NUMBER, "fee must be a number", nonstandard_promotion, limits)
    description = _source(pricing, "description", defaults)
    if description is not None and not is_plain_text(description):
        problems += _checked(
            "description", description, _STRING, "description must be a string", nonstandard_promotion, limits
        )
    estimate = _source(pricing, "estimate", defaults)
    if estimate is not None:
        problems += _checked(
            "estimate", estimate, _ESTIMATE, "estimate must be a number or a {min, max} map", nonstandard_promotion, limits
        )
    return problems


# What the type checker's result type may be for each kind of field: `dyn`
# (data whose type is only known at run time) is always accepted.
_NUMBER = ("int", "uint", "double", "dyn")
_STRING = ("string", "dyn")
_ESTIMATE = (*_NUMBER, "map")


def _checked(
    field: str, source: str, allowed: tuple[str, ...], what: str, nonstandard_promotion: bool, limits: Limits | None
) -> list[Problem]:
    """compile_field's problems, plus one when the checked result type can never be
    what the field needs (`inference_expression:1:1: fee must be a number, got string`)."""
    program, problems = compile_field(field, source, nonstandard_promotion=nonstandard_promotion, limits=limits)
    if program is None or program.result_type is None:
        return problems
    result = program.result_type
    if result.split("(", 1)[0] in allowed:
        return problems
    return [Problem(field, 1, 1, f"{what}, got {result}", format_snippet(source, 1, 1))]


def _is_zero(source: str, nonstandard_promotion: bool, field: str) -> bool:
    program, _ = compile_field(field, source, nonstandard_promotion=nonstandard_promotion)
    return program is not None and type(program.ast) is ast.Literal and program.ast.value == 0


def pricing_warnings(
    pricing: Any, *, defaults: PricingDefaults | None = None, nonstandard_promotion: bool = False
) -> list[Message]:
    """What may be wrong with a pricing that can still be saved.

    `total_below_components`: a custom total that does not read a component that
    can be above zero bills the user less than the components pay out (the
    default resource expression bills compute time, so `total_expression:
    partner_fee` leaves it unpaid). Only the names the total reads are looked at:
    a total that reads every component but still undercuts them is not found.
    """
    if not isinstance(pricing, Mapping):
        return []
    defaults = defaults or PricingDefaults()
    return _formula_warnings(pricing, defaults, nonstandard_promotion) + _total_warnings(
        pricing, defaults, nonstandard_promotion
    )


def _formula_warnings(pricing: Mapping[str, Any], defaults: PricingDefaults, nonstandard_promotion: bool) -> list[Message]:
    """Mistakes a formula shows without being run: a price `prices` does not define, a fee
    that is a negative constant, a division by a literal zero, a single-quoted description
    (plain text, so shown with its quotes). Each would fail, or show wrongly, for every task."""
    found: list[Message] = []
    raw_prices = pricing.get("prices")
    prices = set(raw_prices) if isinstance(raw_prices, Mapping) else set()
    description = pricing.get("description")
    cel_description = type(description) is str and not is_plain_text(description)
    for field in (*FEE_FIELDS, *(("description",) if cel_description else ()), "estimate"):
        source = _source(pricing, field, defaults)
        if source is None:
            continue
        program, _ = compile_field(field, source, nonstandard_promotion=nonstandard_promotion)
        if program is None:
            continue  # its problems are check_pricing's
        path = f"pricing.{field}"
        root = program.ast
        checked = program.checked
        constant = _constant(root)
        if field in FEE_FIELDS and isinstance(constant, (int, float)) and constant < 0:
            found.append(
                Message("negative_fee", f"the fee is always {source.strip()}; a fee must not be negative, so it always fails", path)
            )
        nodes = _walk(root)
        guarded = _tested_prices(nodes)  # `has(prices.x) ? prices.x : 0` reads x only when it is there
        for node in nodes:
            if type(node) is ast.Select and type(node.operand) is ast.Ident and node.operand.name == "prices":
                if node.field not in prices and node.field not in guarded:
                    close = closest(node.field, prices)
                    hint = f"; did you mean '{close}'?" if close else "; add it to prices"
                    found.append(
                        Message("unknown_price", f"prices has no '{node.field}', so reading it always fails{hint}", path)
                    )
            elif isinstance(node, (ast.Select, ast.Has)) and node.field not in ITEM_KEYS:
                # A field of an output-meta item: only a near miss of a field the
                # store's items have is flagged, as apps may report keys of their own.
                close = closest(node.field, ITEM_KEYS)
                if close and checked is not None and checked.is_record(node.operand):
                    outcome = "has() of it is false" if type(node) is ast.Has else "reading it fails"
                    found.append(Message(
                        "unknown_item_field",
                        f"an output-meta item has no field '{node.field}', so {outcome} unless the app "
                        f"reports that key itself; did you mean '{close}'?",
                        path,
                    ))
            elif type(node) is ast.Call and node.function in ("_/_", "_%_") and len(node.args) == 2:
                divisor = _constant(node.args[1])
                if isinstance(divisor, (int, float)) and not isinstance(divisor, bool) and divisor == 0:
                    found.append(Message("division_by_zero", "divides by a literal zero, so it always fails", path))
    if type(description) is str and is_plain_text(description):
        text = description.strip()
        if len(text) >= 2 and text[0] == text[-1] == "'":
            found.append(
                Message(
                    "single_quoted_description",
                    f"the description is plain text, so it is shown with its quotes ({text}); "
                    "a CEL description starts with a double quote: " + '"' + text[1:-1].replace('"', '\\"') + '"',
                    "pricing.description",
                )
            )
    return found


def _tested_prices(nodes: list[ast.Node]) -> set[str]:
    """The price names a formula tests for: `has(prices.x)`, `'x' in prices`."""
    names = set()
    for node in nodes:
        if type(node) is ast.Has and type(node.operand) is ast.Ident and node.operand.name == "prices":
            names.add(node.field)
        elif type(node) is ast.Call and node.function == "@in" and len(node.args) == 2:
            key, container = node.args
            if type(key) is ast.Literal and type(key.value) is str and type(container) is ast.Ident and container.name == "prices":
                names.add(key.value)
    return names


def _constant(node: ast.Node) -> Any:
    """The number a literal (or a negated literal) stands for, else None."""
    if type(node) is ast.Literal:
        return node.value
    if type(node) is ast.Call and node.function == "-_" and len(node.args) == 1 and type(node.args[0]) is ast.Literal:
        value = node.args[0].value
        return -value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return None


def _walk(root: ast.Node) -> list[ast.Node]:
    nodes, todo = [], [root]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(reversed(node.children()))
    return nodes


def _total_warnings(pricing: Mapping[str, Any], defaults: PricingDefaults, nonstandard_promotion: bool) -> list[Message]:
    total = pricing.get("total_expression")
    if type(total) is not str or not total.strip():
        return []  # the default total is the sum itself
    program, _ = compile_field("total_expression", total, nonstandard_promotion=nonstandard_promotion)
    if program is None:
        return []
    read = free_names(program.ast)
    missing = []
    for field in FEE_FIELDS[:-1]:
        source = _source(pricing, field, defaults)
        if source is None or _is_zero(source, nonstandard_promotion, field):
            continue
        name = FEE_NAMES[field]
        if name in read or (name == "resource_fee" and "resource_cost" in read):
            continue
        missing.append(name)
    if not missing:
        return []
    names = ", ".join(missing)
    default = ""
    if "resource_fee" in missing and _is_default(pricing, "resource_expression"):
        default = " (the default resource expression bills compute time)"
    return [
        Message(
            "total_below_components",
            f"the total does not read {names}, so it bills the user less than the components whenever "
            f"{'it is' if len(missing) == 1 else 'they are'} above 0{default}; "
            f"add {'it' if len(missing) == 1 else 'them'} to the total, or set "
            f"{'that expression' if len(missing) == 1 else 'those expressions'} to 0",
            "pricing.total_expression",
            meta={"components": missing},
        )
    ]


def _is_default(pricing: Mapping[str, Any], field: str) -> bool:
    value = pricing.get(field)
    return value is None or (type(value) is str and not value.strip())


_REQUEST_KEYS = frozenset(REQUEST_FIELDS)
_OUTPUT_META_KEYS = frozenset(OUTPUT_META_FIELDS)


def request_warnings(request: Any) -> list[Message]:
    """Fields of a request (and of its `output_meta`) that the store ignores: usually a
    typo such as `ouput_meta`, which would price the task as if it produced nothing."""
    if not isinstance(request, Mapping):
        return []
    if type(request) is dict and request.keys() <= _REQUEST_KEYS:
        # Every request a service sends: known fields only, no messages to build.
        meta = request.get("output_meta")
        if meta is None or (type(meta) is dict and meta.keys() <= _OUTPUT_META_KEYS):
            return []
    found = unknown_keys(request, REQUEST_FIELDS, "request")
    meta = request.get("output_meta")
    found += unknown_keys(meta, OUTPUT_META_FIELDS, "output_meta")
    return [
        Message("unknown_field", message, path.removeprefix("request."), meta={"suggestion": s} if s else {})
        for path, message, s in found
    ]
