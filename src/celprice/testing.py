"""Unit tests for pricing formulas: expected fees per case, from pytest or `celprice test`.

A case is a request without its pricing, plus what to expect::

    {"name": "two images",
     "output_meta": {"outputs": [{"type": "image", "count": 2}]},
     "expect": {"inference_fee": 400000, "royalty_fee": {"error": true},
                "description": "$0.002 per image"}}

An expected component is a value, `{"error": true}` (it must fail),
`{"error": "text"}` (it must fail with a message containing the text),
`{"error": false}` (it must not fail) or `{"value": v}`; components not
listed are not checked. From pytest::

    from celprice.testing import assert_pricing
    assert_pricing(pricing, case)   # AssertionError with a readable diff

`celprice test CASES.json` runs the same comparison (this module is its one
implementation).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import documents
from .spelling import did_you_mean

__all__ = [
    "COMPONENTS",
    "REQUEST_FIELDS",
    "CaseError",
    "Mismatch",
    "CaseResult",
    "CaseFile",
    "build_request",
    "validate_expect",
    "compare",
    "run_case",
    "format_mismatches",
    "assert_pricing",
    "load_case_file",
    "load_pricing_file",
    "pricing_of",
]

COMPONENTS = ("resource_fee", "inference_fee", "royalty_fee", "partner_fee", "total", "description")
# The request fields a case may set; anything else is a typo we would rather report than ignore.
REQUEST_FIELDS = ("output_meta", "task_inputs", "usage_seconds", "elapsed_ms", "resources", "task_function")
_CASE_KEYS = ("name", "expect", *REQUEST_FIELDS)


class CaseError(ValueError):
    """A malformed case or case file; the message starts with the path of the bad field."""


@dataclass(frozen=True)
class Mismatch:
    component: str
    expected: str  # what was expected, in words
    actual: str  # what happened, in words


@dataclass
class CaseResult:
    name: str
    mismatches: list[Mismatch] = field(default_factory=list)
    response: dict[str, Any] | None = None
    request_error: str | None = None  # the request itself was invalid

    @property
    def passed(self) -> bool:
        return self.request_error is None and not self.mismatches


@dataclass
class CaseFile:
    pricing: dict[str, Any]
    cases: list[dict[str, Any]]


# --- validation -------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_expect(expect: Any, path: str = "expect") -> dict[str, dict[str, Any]]:
    """Each expected component in one form: {"value"?: v, "error"?: True | False | "text"}."""
    if not isinstance(expect, Mapping):
        raise CaseError(f"{path}: must be an object of expected components")
    if not expect:
        raise CaseError(f"{path}: expects nothing; list at least one of {', '.join(COMPONENTS)}")
    normal: dict[str, dict[str, Any]] = {}
    for name, want in expect.items():
        where = f"{path}.{name}"
        if name not in COMPONENTS:
            raise CaseError(
                f"{where}: unknown component{did_you_mean(str(name), COMPONENTS)} "
                f"(expected one of {', '.join(COMPONENTS)})"
            )
        if isinstance(want, Mapping):
            unknown = sorted(str(k) for k in want if k not in ("value", "error"))
            if unknown or not want:
                raise CaseError(f"{where}: an expectation object has \"value\" and/or \"error\", got {sorted(map(str, want))}")
            form = dict(want)
        else:
            form = {"value": want}
        if "value" in form:
            form.setdefault("error", False)  # expecting a value means the component did not fail
        if "error" in form and not isinstance(form["error"], (bool, str)):
            raise CaseError(f"{where}.error: must be true, false or a text the message contains")
        if "value" in form:
            ok = isinstance(form["value"], str) if name == "description" else _is_int(form["value"])
            if not ok:
                kind = "a string" if name == "description" else "an integer number of microcents"
                raise CaseError(f"{where}: the expected value must be {kind}, got {json.dumps(form['value'])}")
        normal[name] = form
    return normal


def build_request(pricing: Any, case: Mapping[str, Any], path: str = "case") -> dict[str, Any]:
    """The /usage/cel/evaluate request of a case: its pricing plus the case's request fields."""
    if not isinstance(case, Mapping):
        raise CaseError(f"{path}: must be an object")
    for key in case:
        if key not in _CASE_KEYS:
            raise CaseError(
                f"{path}.{key}: unknown field{did_you_mean(str(key), _CASE_KEYS)} "
                f"(a case has {', '.join(_CASE_KEYS)})"
            )
    if "expect" not in case:
        raise CaseError(f"{path}.expect: missing; say which components to check")
    request: dict[str, Any] = {"pricing": pricing}
    request.update((k, case[k]) for k in REQUEST_FIELDS if k in case)
    return request


# --- comparison ---------------------------------------------------------------------


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _expected_words(form: Mapping[str, Any]) -> str:
    parts = []
    if "value" in form:
        parts.append(_show(form["value"]))
    err = form.get("error")
    if err is True:
        parts.append("an error")
    elif isinstance(err, str):
        parts.append(f"an error containing {_show(err)}")
    elif err is False and "value" not in form:
        parts.append("no error")
    return " with ".join(parts)


def _actual_words(part: Mapping[str, Any]) -> str:
    if part.get("error"):
        return f"error: {part['error']}"
    return _show(part.get("value"))


def compare(expect: Any, response: Mapping[str, Any]) -> list[Mismatch]:
    """The expected components that the response does not match (empty: the case passes)."""
    mismatches = []
    for name, form in validate_expect(expect).items():
        part = response.get(name) or {}
        error = part.get("error")
        ok = True
        if "value" in form and part.get("value") != form["value"]:
            ok = False
        want_error = form.get("error")
        if want_error is False and error:
            ok = False
        elif want_error is True and not error:
            ok = False
        elif isinstance(want_error, str) and (not error or want_error not in error):
            ok = False
        if not ok:
            mismatches.append(Mismatch(name, _expected_words(form), _actual_words(part)))
    return mismatches


def run_case(pricing: Any, case: Mapping[str, Any], path: str = "case", name: str | None = None) -> CaseResult:
    """Evaluate one case; CaseError for a malformed case, an invalid request is a failed case."""
    from .pricing import RequestError, evaluate_pricing

    request = build_request(pricing, case, path)
    expect = case["expect"]
    validate_expect(expect, f"{path}.expect")
    result = CaseResult(name if name is not None else str(case.get("name", path)))
    try:
        result.response = evaluate_pricing(request)
    except RequestError as e:
        result.request_error = str(e)
        return result
    result.mismatches = compare(expect, result.response)
    return result


def format_mismatches(result: CaseResult, indent: str = "  ") -> str:
    """The diff of a failed case: per component, what was expected and what came out."""
    if result.request_error is not None:
        return f"{indent}invalid request: {result.request_error}"
    lines = []
    for m in result.mismatches:
        lines.append(f"{indent}{m.component}:")
        lines.append(f"{indent}  - expected: {m.expected}")
        lines.append(f"{indent}  + actual:   {m.actual}")
    return "\n".join(lines)


def assert_pricing(pricing: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate a case against a pricing; AssertionError with a diff when it does not match.

    Returns the response, so a test can check more. A malformed case raises CaseError.
    """
    result = run_case(pricing, case)
    if not result.passed:
        raise AssertionError(f"pricing case {result.name!r} failed:\n{format_mismatches(result)}")
    assert result.response is not None
    return result.response


# --- case files -------------------------------------------------------------------------


def pricing_of(document: Any) -> Any:
    """A bare AppPricing, or the `pricing` of a whole request (so a preview file serves as a pricing file)."""
    if isinstance(document, Mapping) and "pricing" in document:  # an AppPricing has no "pricing" field
        return document["pricing"]
    return document


def load_pricing_file(path: str | Path) -> dict[str, Any]:
    """An AppPricing from a JSON or YAML file (or the `pricing` of a request file in it)."""
    try:
        pricing = pricing_of(documents.load(path))
    except OSError as e:
        raise CaseError(f"cannot read {path}: {e.strerror or e}") from None
    except documents.DocumentError as e:
        raise CaseError(str(e)) from None
    if not isinstance(pricing, Mapping):
        raise CaseError(f"{path}: must be an AppPricing object (prices and expressions)")
    return dict(pricing)


_CASE_FILE_KEYS = ("pricing", "pricing_file", "cases")


def parse_case_file(
    text: str,
    origin: str,
    yaml: bool = False,
    *,
    directory: str | Path | None = None,
    pricing: Mapping[str, Any] | None = None,
) -> CaseFile:
    """A case file's contents: `{"pricing": {...}, "cases": [...]}` as JSON or YAML.

    Instead of `pricing` the file may name a `pricing_file` (JSON or YAML), relative to
    `directory` (the case file's folder). A `pricing` argument wins over both, so the
    same cases can test another pricing. Both formats are read strictly
    (celprice.documents): duplicate keys, YAML aliases and YAML 1.1's surprises
    (`NO` as false, `0100` as 64) are errors.
    """
    try:
        data = documents.parse(text, origin, yaml=yaml)
    except documents.DocumentError as e:
        raise CaseError(str(e)) from None
    if not isinstance(data, Mapping):
        raise CaseError(f"{origin}: must be an object with \"pricing\" and \"cases\" (or \"pricing_file\" and \"cases\")")
    unknown = sorted(str(k) for k in data if k not in _CASE_FILE_KEYS)
    if unknown:
        raise CaseError(
            f"{origin}: {unknown[0]}: unknown field{did_you_mean(unknown[0], _CASE_FILE_KEYS)} "
            "(a case file has \"pricing\" or \"pricing_file\", and \"cases\")"
        )
    if pricing is None:
        pricing = _case_file_pricing(data, origin, directory)
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases:
        raise CaseError(f"{origin}: cases: must be a non-empty list of cases")
    return CaseFile(dict(pricing), list(cases))


def _case_file_pricing(data: Mapping[str, Any], origin: str, directory: str | Path | None) -> Mapping[str, Any]:
    if "pricing_file" not in data:
        if not isinstance(data.get("pricing"), Mapping):
            raise CaseError(f"{origin}: pricing: missing, or not an object (or name a pricing_file)")
        pricing: Mapping[str, Any] = data["pricing"]
        return pricing
    if "pricing" in data:
        raise CaseError(f"{origin}: pricing_file: give either pricing or pricing_file, not both")
    name = data["pricing_file"]
    if not isinstance(name, str) or not name:
        raise CaseError(f"{origin}: pricing_file: must be the path of a pricing file, relative to this file")
    path = Path(directory if directory is not None else ".") / name
    try:
        return load_pricing_file(path)
    except CaseError as e:
        raise CaseError(f"{origin}: pricing_file: {e}") from None


def load_case_file(path: str | Path, pricing: Mapping[str, Any] | None = None) -> CaseFile:
    """Read a case file (.json, or .yaml/.yml with PyYAML); OSError when it cannot be read.

    Its `pricing_file`, if it names one, is read relative to the case file's folder.
    """
    path = Path(path)
    with path.open("rb") as f:
        try:
            text = documents.decode(documents.read_bytes(f, str(path)), str(path))
        except documents.DocumentError as e:
            raise CaseError(str(e)) from None
    return parse_case_file(
        text, str(path), yaml=documents.is_yaml_name(path.name), directory=path.parent, pricing=pricing
    )
