"""Audit: what priced each task, kept beside its record, and the re-evaluation
that explains (and checks) a recorded charge. Reference: docs/usage.md, Audit.

A task recorded with its pricing inputs (`record_task(..., pricing_inputs=...)`,
with `pricing_version` or `pricing`) gets one row in `celprice_task_audit`:
the inputs as compact JSON, the celprice version that recorded it, and, for a
pricing that was not published, the SHA-256 digest of the AppPricing, which is
kept once in `celprice_audit_pricings` however many tasks it priced. A
published pricing is referenced by its version (`celprice_tasks.pricing_version`):
published versions never change.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import __version__, ast
from ..explanation import Step
from ..pricing.components import FEE_FIELDS, FEE_NAMES
from ..pricing.evaluator import PricingEngine, engine_for
from ..pricing.explain import explain_fee
from ..pricing.request import REQUEST_FIELDS, RequestError, describe, parse_pricing, task_activation
from .errors import LedgerError

__all__ = [
    "SCHEMA",
    "TASK_FIELDS",
    "MAX_INPUTS_BYTES",
    "MAX_PRICING_BYTES",
    "Audit",
    "audit_of",
    "reprice",
    "TaskExplanation",
    "ComponentExplanation",
    "NotAuditable",
    "explain_task",
]

# Schema version 6 (migrations.py runs it). Released: never edit it, add a step instead.
SCHEMA: tuple[str, ...] = (
    """CREATE TABLE celprice_audit_pricings (
        digest TEXT NOT NULL PRIMARY KEY,
        pricing TEXT NOT NULL
    )""",
    # app_endpoint and completed_at repeat the task's so that a replay reads
    # an app's window from this table's index alone.
    """CREATE TABLE celprice_task_audit (
        team_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        app_endpoint TEXT NOT NULL,
        completed_at BIGINT NOT NULL,
        pricing_digest TEXT,
        inputs TEXT NOT NULL,
        celprice_version TEXT NOT NULL,
        PRIMARY KEY (team_id, task_id)
    )""",
    "CREATE INDEX celprice_task_audit_by_app ON celprice_task_audit (app_endpoint, completed_at)",
)

INSERT_PRICING = "INSERT INTO celprice_audit_pricings (digest, pricing) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING"
INSERT_AUDIT = """INSERT INTO celprice_task_audit
    (team_id, task_id, app_endpoint, completed_at, pricing_digest, inputs, celprice_version)
    VALUES (?, ?, ?, ?, ?, ?, ?)"""
TASK_AUDIT = """SELECT t.app_endpoint, t.completed_at, t.resource_fee, t.inference_fee, t.royalty_fee,
        t.partner_fee, t.total, t.pricing_version, a.pricing_digest, a.inputs, a.celprice_version
    FROM celprice_tasks t LEFT JOIN celprice_task_audit a ON a.team_id = t.team_id AND a.task_id = t.task_id
    WHERE t.team_id = ? AND t.task_id = ?"""
AUDIT_PRICING = "SELECT pricing FROM celprice_audit_pricings WHERE digest = ?"
# A replay's tasks: an app's audited tasks in [from, to), with what they charged.
REPLAY_TASKS = """SELECT a.team_id, a.task_id, a.completed_at, t.resource_fee, t.inference_fee, t.royalty_fee,
        t.partner_fee, t.total, a.inputs
    FROM celprice_task_audit a JOIN celprice_tasks t ON t.team_id = a.team_id AND t.task_id = a.task_id
    WHERE a.app_endpoint = ? AND a.completed_at >= ? AND a.completed_at < ?
    ORDER BY a.completed_at, a.team_id, a.task_id"""

# What a task's pricing reads: the task fields of a /usage/cel/evaluate request.
TASK_FIELDS: tuple[str, ...] = tuple(name for name in REQUEST_FIELDS if name != "pricing")
_TASK_FIELD_SET = frozenset(TASK_FIELDS)
# Bounds on what one record keeps (compact JSON, UTF-8): a task's inputs are
# its prompt and parameters, not its files; an AppPricing is a few formulas.
MAX_INPUTS_BYTES = 64 * 1024
MAX_PRICING_BYTES = 64 * 1024
COMPONENTS: tuple[str, ...] = tuple(FEE_NAMES[f] for f in FEE_FIELDS)


class NotAuditable(LedgerError):
    """The task was recorded without its pricing inputs, so it cannot be re-evaluated."""


@dataclass(frozen=True)
class Audit:
    """What record_task keeps of a task beyond its charge."""

    inputs: str  # compact JSON of the task fields
    digest: str | None = None  # the unpublished AppPricing's digest
    pricing: str | None = None  # its canonical JSON


def audit_of(pricing_version: int | None, pricing: Any, pricing_inputs: Any) -> Audit | None:
    """The audit row of record_task's arguments (None when it was given none),
    or LedgerError saying what is wrong: an input that is not JSON, beyond
    the size bound, of the wrong shape, or a pricing missing or twice."""
    if pricing_inputs is None:
        if pricing is not None:
            raise LedgerError("pricing is kept only with the task's pricing_inputs: pass both, or neither")
        return None
    if pricing_version is None and pricing is None:
        raise LedgerError(
            "pricing_inputs need the pricing that priced the task: pass pricing_version (a published "
            "version) or pricing (the AppPricing itself)"
        )
    if pricing_version is not None and pricing is not None:
        raise LedgerError("pass pricing_version or pricing, not both: a published version is its own pricing")
    inputs = _inputs(pricing_inputs)
    if pricing is None:
        return Audit(inputs)
    text = _pricing(pricing)
    return Audit(inputs, hashlib.sha256(text.encode()).hexdigest(), text)


def _inputs(value: Any) -> str:
    if not isinstance(value, Mapping):
        raise LedgerError(f"pricing_inputs must be an object of the task's {', '.join(TASK_FIELDS)}, got {describe(value)}")
    unknown = [key for key in value if key not in _TASK_FIELD_SET]
    if unknown:
        raise LedgerError(
            f"pricing_inputs has unknown key {unknown[0]!r} (the task fields are {', '.join(TASK_FIELDS)})"
        )
    kept = {key: value[key] for key in TASK_FIELDS if value.get(key) is not None}
    try:
        task_activation({}, **kept)  # the shape evaluate_pricing needs, so that a replay can read it
    except RequestError as e:
        raise LedgerError(f"pricing_inputs.{e.path}: {e.detail}") from None
    return _json(kept, "pricing_inputs", MAX_INPUTS_BYTES, sort_keys=False)


def _pricing(value: Any) -> str:
    try:
        parse_pricing(value)
    except RequestError as e:
        raise LedgerError(f"{e.path}: {e.detail}") from None
    # Sorted keys: equal pricings share a digest, and are kept once.
    return _json(value, "pricing", MAX_PRICING_BYTES, sort_keys=True)


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True)


def _json(value: Any, what: str, limit: int, sort_keys: bool) -> str:
    _check_json(value, what)
    try:
        text = (_SORTED if sort_keys else _COMPACT).encode(value)
    except RecursionError:
        raise LedgerError(f"{what} nests too deeply to keep") from None
    size = len(text) if text.isascii() else len(text.encode())
    if size > limit:
        raise LedgerError(
            f"{what} is {size:,} bytes of JSON, more than the {limit:,} a record keeps: "
            f"record the task without pricing_inputs (it then cannot be explained or replayed), or keep large "
            f"data (files, long texts) out of the task's inputs"
        )
    return text


_SCALARS = frozenset({str, int, bool, type(None)})
_INFINITIES = (float("inf"), float("-inf"))


def _check_json(value: Any, what: str) -> None:
    """JSON values only, so that what is kept reads back as it was given: no
    NaN, no non-string keys (json.dumps would turn 1 into "1"), no bytes.
    Paths are built only to name a problem: this runs on every record."""
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind in _SCALARS:
            continue
        if kind is dict:
            for key in item:
                if type(key) is not str:
                    _explain_json(value, what)
            extend(item.values())
        elif kind is list or kind is tuple:
            extend(item)
        elif kind is float:
            if item != item or item in _INFINITIES:
                _explain_json(value, what)
        elif isinstance(item, Mapping) and all(type(key) is str for key in item):
            extend(item.values())
        else:
            _explain_json(value, what)


def _explain_json(value: Any, what: str) -> None:
    """The LedgerError naming the first value _check_json refused, with its path."""
    stack: list[tuple[Any, str]] = [(value, what)]
    while stack:
        item, path = stack.pop()
        kind = type(item)
        if kind in _SCALARS:
            continue
        if kind is float:
            if item != item or item in _INFINITIES:
                raise LedgerError(f"{path} must be a finite number to be kept, got {item}")
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if type(key) is not str:
                    raise LedgerError(f"{path} has a key that is not a string ({describe(key)}): JSON keys are strings")
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, (list, tuple)):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
        else:
            raise LedgerError(f"{path} is {describe(item)}, which JSON cannot keep")
    raise AssertionError("_check_json refused a value _explain_json accepts")  # pragma: no cover


def reprice(engine: PricingEngine, inputs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A task's activation and evaluate_pricing's answer for it."""
    act = task_activation(engine.prices, **inputs)
    return act, engine.run(act)


# --- explain --------------------------------------------------------------------------


@dataclass
class ComponentExplanation:
    """One fee component: its formula, what was recorded, what it evaluates to now, and why."""

    component: str  # resource_fee, ..., total
    field: str  # resource_expression, ..., total_expression
    source: str  # the formula (the default's when the pricing has none)
    recorded: int
    evaluated: dict[str, Any]  # {"value": microcents} or {"value": 0, "error": "..."}
    tree: Step | None  # None when the formula does not compile (evaluated holds why)

    @property
    def reproduced(self) -> bool:
        return "error" not in self.evaluated and self.evaluated["value"] == self.recorded

    def to_json(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "field": self.field,
            "source": self.source,
            "recorded": self.recorded,
            "evaluated": self.evaluated,
            "reproduced": self.reproduced,
            "tree": None if self.tree is None else self.tree.to_json(),
        }


@dataclass
class TaskExplanation:
    """`Ledger.explain`'s answer: a recorded task re-evaluated with its recorded pricing."""

    team_id: str
    task_id: str
    app_endpoint: str
    completed_at: str
    pricing_version: int | None  # the published version that priced it, or None: `pricing` was recorded
    pricing: dict[str, Any]
    inputs: dict[str, Any]
    components: list[ComponentExplanation]
    description: str
    recorded_by: str  # the celprice version that recorded the task
    evaluated_by: str = __version__
    notes: list[str] = field(default_factory=list)  # why a charge may not reproduce, or did not

    @property
    def reproduced(self) -> bool:
        """Every component evaluates now to exactly what was recorded."""
        return all(component.reproduced for component in self.components)

    def to_json(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "task_id": self.task_id,
            "app_endpoint": self.app_endpoint,
            "completed_at": self.completed_at,
            "reproduced": self.reproduced,
            "notes": self.notes,
            "pricing_version": self.pricing_version,
            "pricing": self.pricing,
            "inputs": self.inputs,
            "description": self.description,
            "recorded_by": self.recorded_by,
            "evaluated_by": self.evaluated_by,
            "components": [component.to_json() for component in self.components],
        }


def explain_task(
    team_id: str, task_id: str, app_endpoint: str, completed_at: str, recorded: list[int],
    pricing_version: int | None, pricing: dict[str, Any], inputs: dict[str, Any], recorded_by: str,
) -> TaskExplanation:
    engine = engine_for(pricing)
    act, response = reprice(engine, inputs)
    components = [
        ComponentExplanation(
            part.name, part.field, part.source, value, response[part.name], explain_fee(engine, act, index)
        )
        for index, (part, value) in enumerate(zip(engine.components, recorded))
    ]
    explanation = TaskExplanation(
        team_id, task_id, app_endpoint, completed_at, pricing_version, pricing, inputs, components,
        response["description"]["value"], recorded_by,
    )
    impure = impure_calls(engine)
    if impure:
        explanation.notes.append(
            f"the pricing calls {', '.join(impure)}, which may read the clock or other state than the task: "
            "its value when recorded may not be its value now"
        )
    if recorded_by != __version__:
        explanation.notes.append(
            f"recorded by celprice {recorded_by}, evaluated by {__version__}: a change of the library between "
            "them may change a fee"
        )
    if not explanation.reproduced:
        differ = [
            f"{c.component} recorded {c.recorded}, now "
            + (f"fails: {c.evaluated['error']}" if "error" in c.evaluated else str(c.evaluated["value"]))
            for c in components if not c.reproduced
        ]
        explanation.notes.insert(0, "not reproduced: " + "; ".join(differ))
    return explanation


def impure_calls(engine: PricingEngine) -> list[str]:
    """The functions a pricing's formulas call that are not pure (may read a
    clock or other state), sorted; the library's and the pricing helpers are pure."""
    names: set[str] = set()
    for part in engine.components:
        program = part.program
        if program is None:
            continue
        env = program.env
        stack: list[ast.Node] = [program.ast]
        while stack:
            node = stack.pop()
            if type(node) is ast.Call:
                member = node.target is not None
                name = node.function
                entry = env.entry(name, member)
                if entry is None or not entry.function.pure or (name, member) in env.overrides:
                    names.add(name)
            stack.extend(node.children())
    return sorted(names)
