"""The explanation tree of a compiled expression: the value of every sub-expression.

Each node of the AST is rendered back to CEL text (see render.py) and that
text is evaluated on its own against the same variables; the root's value
comes from the real program. A comprehension's predicate and body depend on
the loop variable: over a list they are evaluated for each of the first
MAX_ELEMENTS elements, the variable bound to that element (over a map they
are shown, not evaluated); a `cel.bind` body is evaluated inside the same
binding; the branch a `?:` does not take is marked instead of evaluated.

Used by `celprice explain` (which prints it) and by the server's
`POST /usage/cel/explain` (which sends it as JSON).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ast, stack
from .env import Environment
from .errors import CELCheckError, CELError, CELEvaluationError
from .json_values import to_json
from .program import Program
from .program import compile as cel_compile
from .render import qualified_name, render

__all__ = ["Step", "explain", "cel_error_text", "MAX_ELEMENTS"]

MAX_ELEMENTS = 10  # per-element values shown for one predicate or body

# The macros whose range is a list when it iterates elements (over a map they iterate keys).
_LIST_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter", "transform_list"})

_UNSET = object()


def cel_error_text(e: CELError) -> str:
    """One line for a CEL error: the message without the caret snippet (for trees and tables)."""
    if isinstance(e, CELCheckError) and e.problems:
        return "; ".join(p.message for p in e.problems)
    return e.message


@dataclass
class Step:
    """One line of the tree: a sub-expression and what became of it."""

    text: str
    value: Any = _UNSET
    error: str | None = None
    note: str | None = None  # why a node was not evaluated
    literal: bool = False
    children: list["Step"] = field(default_factory=list)

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET

    def to_json(self) -> dict[str, Any]:
        """`{"text", "value"?, "error"?, "note"?, "literal", "children"}`: `value`
        only when the node was evaluated and did not fail (CEL values as the CLI
        prints them: docs/cli.md)."""
        out: dict[str, Any] = {"text": self.text}
        if self.error is not None:
            out["error"] = self.error
        elif self.has_value and self.note is None:
            out["value"] = to_json(self.value)
        if self.note is not None:
            out["note"] = self.note
        out["literal"] = self.literal
        out["children"] = [child.to_json() for child in self.children]
        return out


class _Explainer:
    def __init__(self, env: Environment | None, variables: dict[str, Any]) -> None:
        self.env = env
        self.variables = variables

    def evaluate(self, step: Step, text: str) -> None:
        try:
            step.value = cel_compile(text, self.env).evaluate(self.variables)
        except CELError as e:
            step.error = cel_error_text(e)

    def build(self, node: ast.Node, binds: tuple[tuple[str, str], ...]) -> Step:
        if node.depth >= stack.LEVELS and stack.crossing(node) and stack.low():
            return stack.resume(self.build, node, binds)
        text = render(node)
        step = Step(text, literal=isinstance(node, ast.Literal))
        if isinstance(node, ast.Literal):
            step.value = node.value  # shown as its text; kept for `?:` deciding on a literal
        else:
            self.evaluate(step, _with_binds(text, binds))
        step.children = self.children(node, step, binds)
        return step

    def children(self, node: ast.Node, step: Step, binds: tuple[tuple[str, str], ...]) -> list[Step]:
        kind = type(node)
        if type(node) is ast.Comprehension:
            over = self.build(node.range, binds)
            steps = [over]
            skipped: set[int] = set()  # the elements a filter (`map(x, p, t)`) leaves out
            if node.predicate is not None:
                steps.append(self.per_element(node, node.predicate, over, binds, skipped))
                skipped = {i for i, e in enumerate(steps[-1].children) if e.value is False}
            steps.append(self.per_element(node, node.body, over, binds, skipped))
            return steps
        if type(node) is ast.Bind:
            inner = (*binds, (node.var, render(node.init)))
            return [self.build(node.init, binds), self.build(node.body, inner)]
        if type(node) is ast.Cond:
            cond = self.build(node.cond, binds)
            if cond.error is not None:
                reason = "the condition failed"
                return [cond, _skipped(node.then, reason), _skipped(node.otherwise, reason)]
            if cond.value is True:
                return [cond, self.build(node.then, binds), _skipped(node.otherwise, "the condition is true")]
            if cond.value is False:
                return [cond, _skipped(node.then, "the condition is false"), self.build(node.otherwise, binds)]
            reason = "the condition is not a bool"
            return [cond, _skipped(node.then, reason), _skipped(node.otherwise, reason)]
        steps = [self.build(child, binds) for child in node.children()]
        if step.error is None and kind in (ast.Select, ast.Call):
            # `optional.of(x)` or a dotted variable `a.b`: the failing inner name is a
            # namespace or part of a name, not a value of its own, so it is not shown.
            steps = [
                s for s, child in zip(steps, node.children()) if not (s.error is not None and qualified_name(child))
            ]
        return steps


    def per_element(
        self,
        node: ast.Comprehension,
        part: ast.Node,
        over: Step,
        binds: tuple[tuple[str, str], ...],
        skipped: set[int],
    ) -> Step:
        """A comprehension's predicate or body, with its value for each of the first elements of a list."""
        step = Step(render(part), note="evaluated for each element")
        items = over.value
        if over.error is not None or not isinstance(items, list) or node.kind not in _LIST_MACROS:
            return step  # a map's keys cannot be named one by one in CEL text; nor a failed range
        step.note = f"for each element of {over.text}" if items else f"no elements in {over.text}"
        whole = f"({over.text})"
        for i in range(min(len(items), MAX_ELEMENTS)):
            if node.var2 is None:
                inner = (*binds, (node.var, f"{whole}[{i}]"))
            else:  # the two-variable form: the index, then the element
                inner = (*binds, (node.var, str(i)), (node.var2, f"{whole}[{i}]"))
            element = Step(f"[{i}]")
            if i in skipped:
                element.note = "not evaluated: the filter is false"
            else:
                self.evaluate(element, _with_binds(step.text, inner))
            step.children.append(element)
        if len(items) > MAX_ELEMENTS:
            step.children.append(Step(f"... {len(items) - MAX_ELEMENTS} more", note="not shown"))
        return step


def _with_binds(text: str, binds: tuple[tuple[str, str], ...]) -> str:
    for var, init in reversed(binds):
        text = f"cel.bind({var}, {init}, {text})"
    return text


def _skipped(node: ast.Node, reason: str) -> Step:
    return Step(render(node), note=f"not evaluated: {reason}", literal=isinstance(node, ast.Literal))


def explain(program: Program, variables: dict[str, Any]) -> tuple[Step, CELEvaluationError | None]:
    """The tree for a compiled program, and the program's own error if it failed.

    The root's value or error is the program's own, not the re-rendered text's.
    """
    root = _Explainer(program.env, variables).build(program.ast, ())
    root.value, root.error, root.literal = _UNSET, None, False  # the root always shows its value
    try:
        root.value = program.evaluate(variables)
    except CELEvaluationError as e:
        root.error = cel_error_text(e)
        return root, e
    return root, None
