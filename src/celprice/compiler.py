"""AST to closures.

Every node becomes a Python function of one argument, the activation (a
mapping of variable names to values), and returns a CEL value or raises
CELEvaluationError. Constant sub-expressions are evaluated once here.

Local variables (comprehension and cel.bind variables) live in a private
copy of the activation under the key "@name", so they can never clash with
the caller's names; that copy also carries the evaluation budget under
"@ctx". Programs that need neither read the caller's mapping directly.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from types import FunctionType
from typing import Any

from . import ast, names, stack
from .access import ADAPT, adapt, has_field, map_insert, no_such_key, select_optional, select_value
from .budget import CTX, Budget, shared
from .checker import CheckResult
from .comprehensions import compile_comprehension
from .env import Environment
from .errors import CELCheckError, CELEvaluationError, CELLimitError, CELSyntaxError, located
from .limits import check_size
from .plan import Const as _Const
from .plan import FieldRead, IndexRead, Read
from .plan import code as _code
from .registry import Cost, Entry, Overrides, Registry, specialisable
from .specialize import binary
from .spelling import did_you_mean, no_matching_overload
from .stdlib import STANDARD
from .stdlib.regex import PATTERN_ARGUMENT, RUNTIME_PATTERN_PRECHECK, constant_pattern_precheck
from .stdlib import operators as ops
from .stdlib.strings import compiled_matcher
from .values import INT64_MAX, INT64_MIN, TYPES, Optional, UInt, type_name
from . import work
from .work import REGEX_COMPILE_COST, receiver_scan

__all__ = ["compile_ast", "Compiled", "estimate_cost"]

Code = Callable[[Any], Any]
_MISSING = object()



def _undeclared(name: str, container: str) -> CELEvaluationError:
    return CELEvaluationError(names.undeclared(name, container))


def _copy(e: CELEvaluationError) -> CELEvaluationError:
    """A fresh copy of a prepared error: raised errors get a source attached later."""
    return type(e)(e.message, offset=e.offset)


def _absent(missing: CELEvaluationError, name: str, a: Any, declared: bool) -> CELEvaluationError:
    """The prepared error for a name the activation does not hold. Where the environment
    declares no variables, the activation is what is in scope: its closest name is suggested."""
    e = _copy(missing)
    if not declared:
        e.message += did_you_mean(name, _names_held(a))
    return e


def _names_held(a: Any) -> Iterator[str]:
    """The names an activation holds, locals (`@x`) by the name they were bound to."""
    for key in a:
        if type(key) is str and key != CTX:
            yield key[1:] if key[:1] == "@" else key


def _wrap_exception(name: str, e: Exception, pos: int) -> CELEvaluationError:
    if isinstance(e, RecursionError):
        err: CELEvaluationError = CELLimitError("expression nests too deeply to evaluate")
    elif isinstance(e, OverflowError):
        # Python's text ("int too large to convert to float", "(34, 'Numerical
        # result out of range')") says nothing to a formula's author.
        err = CELEvaluationError(f"{name}: value out of range")
    elif isinstance(e, ValueError) and "integer string conversion" in str(e):
        err = CELEvaluationError(f"{name}: integer has too many digits to convert")
    else:
        err = CELEvaluationError(f"{name}: {type(e).__name__}: {e}")
    err.offset = pos
    return err


class Compiled:
    """The result of compiling an AST: the root closure and what evaluation needs."""

    __slots__ = ("root", "needs_scope", "charges")

    def __init__(self, root: Code, needs_scope: bool, charges: bool = False) -> None:
        self.root = root
        self.needs_scope = needs_scope
        # Some operation charges the budget: an evaluation without a scope
        # then shares one budget between them (budget.shared).
        self.charges = charges


def compile_ast(node: ast.Node, env: Environment, source: str, checked: CheckResult | None = None) -> Compiled:
    """Closures for a parsed expression; `checked` (the checker's result for
    this very tree, when the environment checks) gives the resolved names
    and calls, which are then not resolved again."""
    c = _Compiler(env, source, checked)
    result = c.compile(node, frozenset())
    if node.depth > stack.LEVELS and type(result) is FunctionType:
        result = stack.guard(result)  # room for the levels above the first guard
    if c.errors:
        raise CELCheckError(c.errors)
    if type(result) is _Const:
        return Compiled(_code(result), False)
    return Compiled(_code(result), c.needs_scope, c.charges)


class _Compiler:
    def __init__(self, env: Environment, source: str, checked: CheckResult | None = None) -> None:
        self.env = env
        self.refs: dict[int, tuple[Any, ...]] = checked.references if checked is not None else {}
        self.source = source
        self.limits = env.limits
        self.static = env.declares_variables
        self.needs_scope = False
        self.charges = False
        # Constant folding runs operations at compile time: it has a budget of
        # its own (no deadline: compiling is not an evaluation), and once that
        # is spent the remaining constant calls are left to run time, where
        # each evaluation is charged for them.
        self.fold_budget = Budget(dataclasses.replace(env.limits, timeout=None))
        self.errors: list[CELSyntaxError] = []
        self.prefixes = names.prefixes(env.container)

    def error(self, message: str, pos: int) -> _Const:
        self.errors.append(CELSyntaxError(message, source=self.source, offset=pos))
        return _Const(None)

    # --- dispatch -----------------------------------------------------------------

    def compile(self, node: ast.Node, scope: frozenset[str]) -> Any:
        if node.depth >= stack.LEVELS and stack.crossing(node):
            # Deep expressions: a look at the stack every LEVELS levels, when
            # compiling and in the closure (docs/architecture.md, "Deep expressions").
            result = stack.deep(getattr(self, "c_" + type(node).__name__), node, scope)
            return stack.guard(result) if type(result) is FunctionType else result
        method = getattr(self, "c_" + type(node).__name__)
        return method(node, scope)

    def code(self, node: ast.Node, scope: frozenset[str]) -> Code:
        return _code(self.compile(node, scope))

    def fold(self, fn: Code, parts: list[Any]) -> Any:
        """Evaluate now when every part is constant and evaluation succeeds.

        A list or map result is not folded: the value would be one mutable
        object handed to every evaluation of the cached program."""
        if all(type(p) is _Const for p in parts):
            try:
                value = fn({CTX: self.fold_budget})
            except CELEvaluationError:
                return fn
            if isinstance(value, (list, dict)):
                return fn
            return _Const(value)
        return fn

    # --- leaves -------------------------------------------------------------------

    def c_Literal(self, node: ast.Literal, scope: frozenset[str]) -> Any:
        return _Const(node.value)

    def c_Ident(self, node: ast.Ident, scope: frozenset[str]) -> Any:
        return self.resolve(node, [], scope, node)

    def resolve(self, root: ast.Ident, fields: list[tuple[str, int]], scope: frozenset[str], outer: ast.Node) -> Any:
        """A name, possibly qualified (`a.b.c`), as a local, a variable or a type.

        `fields` are the (name, position) of the selections after the root
        identifier; the longest prefix that names a variable wins, as CEL's
        name resolution requires.
        """
        pos = root.pos
        ref = self.refs.get(id(outer))
        if ref is not None:
            kind, name, n = ref
            if kind == "local":
                return self.selects(self.local(name, pos), fields)
            if kind == "variable":
                return self.selects(self.variable(name, pos), fields[n - 1 :])
            return self.selects(_Const(TYPES[name]), fields[n - 1 :])
        parts = [root.name, *(f for f, _ in fields)]
        if not root.absolute and root.name in scope:
            return self.selects(self.local(root.name, pos), fields)
        prefixes = [""] if root.absolute else self.prefixes
        # (variable name, remaining fields), longest name first
        candidates = [(name, fields[n - 1 :]) for name, n in names.candidates(parts, prefixes)]
        if self.static:
            found = names.first_match(parts, prefixes, self.env.variables.__contains__)
            if found is not None:
                return self.selects(self.variable(found[0], pos), fields[found[1] - 1 :])
        found = names.first_match(parts, prefixes, TYPES.__contains__)
        if found is not None:
            return self.selects(_Const(TYPES[found[0]]), fields[found[1] - 1 :])
        if self.static:
            known = [*(n for n in scope if n[0] != "@"), *self.env.variables]
            return self.error(names.undeclared(".".join(parts), self.env.container, "", known), pos)
        if len(candidates) == 1:
            return self.variable(root.name, pos)
        general = self.dynamic_lookup(candidates, root.name, pos)
        if len(prefixes) != 1:
            return general
        # No container: unless the activation holds a dotted name such as
        # "a.b", this is a plain variable read and selections, whose fused
        # closures are much cheaper than resolving step by step.
        direct = _code(self.selects(self.variable(root.name, pos), fields))
        dotted = tuple(name for name, _ in candidates if "." in name)
        if len(dotted) == 1:
            (d0,) = dotted

            def lookup_one(a: Any) -> Any:
                if d0 in a:
                    return general(a)
                return direct(a)

            return lookup_one

        def lookup_many(a: Any) -> Any:
            for d in dotted:
                if d in a:
                    return general(a)
            return direct(a)

        return lookup_many

    def local(self, name: str, pos: int) -> Read:
        key = "@" + name

        def read_local(a: Any) -> Any:
            return a[key]

        return Read(read_local, key, None, pos)

    def variable(self, name: str, pos: int) -> Read:
        declared = self.static
        # A declared name the activation lacks is the caller's omission, not the
        # formula's: say so, rather than "undeclared" of a name that is declared.
        missing = located(
            CELEvaluationError(f"no value for variable '{name}': it is declared, but the activation does not hold it")
            if declared
            else _undeclared(name, self.env.container),
            pos,
        )
        adapt_get = ADAPT.get

        def read(a: Any) -> Any:
            try:
                v = a[name]
            except KeyError:
                raise _absent(missing, name, a, declared) from None
            if type(v) is int and INT64_MIN <= v <= INT64_MAX:
                return v
            f = adapt_get(type(v))
            if f is None:
                return v
            try:
                return f(v)
            except CELEvaluationError as e:
                # An out-of-range int, or an ErrorValue standing for a failed input.
                raise located(e, pos)

        return Read(read, name, missing, pos)

    def dynamic_lookup(self, candidates: list[Any], first: str, pos: int) -> Code:
        """Resolution at run time, for environments that declare no variables."""
        container = self.env.container
        steps = [(name, tuple(rest)) for name, rest in candidates]

        def lookup(a: Any) -> Any:
            for name, rest in steps:
                if name in a:
                    v = adapt(a[name])
                    for field, fpos in rest:
                        try:
                            v = select_value(v, field)
                        except CELEvaluationError as e:
                            raise located(e, fpos)
                    return v
            raise located(_absent(_undeclared(first, container), first, a, False), pos)

        return lookup

    def selects(self, base: Any, fields: list[tuple[str, int]]) -> Any:
        for f, fpos in fields:
            base = self.select(base, f, fpos)
        return base

    def select(self, operand: Any, field: str, pos: int) -> Any:
        if type(operand) is _Const:
            fn = self.select(_code(operand), field, pos)
            return self.fold(fn, [operand])
        adapt_get = ADAPT.get
        # `x.f` on a variable or local reads the name itself, saving a call.
        by_key = type(operand) is Read
        declared = self.static
        if by_key:
            key, missing, name_pos = operand.key, operand.missing, operand.pos
        inner = _code(operand)

        def sel(a: Any) -> Any:
            if by_key:
                try:
                    v = a[key]
                except KeyError:
                    raise _absent(missing, key, a, declared) from None
            else:
                v = inner(a)
            if type(v) is dict:
                try:
                    r = v[field]
                except KeyError:
                    raise located(no_such_key(v, field), pos) from None
                if type(r) is int and INT64_MIN <= r <= INT64_MAX:
                    return r
                f = adapt_get(type(r))
                return r if f is None else f(r)
            if by_key:
                try:
                    v = adapt(v)
                except CELEvaluationError as e:
                    raise located(e, name_pos)
            try:
                return select_value(v, field)
            except CELEvaluationError as e:
                raise located(e, pos)

        if by_key:
            return FieldRead(sel, key, missing, field, pos)
        if type(operand) is not IndexRead:
            return sel
        # `items[0].field`: walk the whole path in one closure when it is all
        # lists and dicts; anything else takes the step-by-step route.
        key, kv = operand.key, operand.index
        absent = object()

        def sel_index_field(a: Any) -> Any:
            v = a.get(key, absent)
            if type(v) is list and 0 <= kv < len(v):
                e = v[kv]
                if type(e) is dict:
                    r = e.get(field, absent)
                    if r is not absent:
                        if type(r) is int and INT64_MIN <= r <= INT64_MAX:
                            return r
                        f = adapt_get(type(r))
                        return r if f is None else f(r)
            return sel(a)

        return sel_index_field

    # --- selection, indexing ----------------------------------------------------------

    def c_Select(self, node: ast.Select, scope: frozenset[str]) -> Any:
        if not node.optional:
            chain: list[tuple[str, int]] = []
            root: ast.Node = node
            while type(root) is ast.Select and not root.optional:
                chain.append((root.field, root.pos))
                root = root.operand
            if type(root) is ast.Ident:
                return self.resolve(root, chain[::-1], scope, node)
            return self.select(self.compile(node.operand, scope), node.field, node.pos)
        operand = self.compile(node.operand, scope)
        inner = _code(operand)
        field, pos = node.field, node.pos

        def opt_select(a: Any) -> Any:
            try:
                return select_optional(inner(a), field)
            except CELEvaluationError as e:
                raise located(e, pos)

        return self.fold(opt_select, [operand])

    def c_Index(self, node: ast.Index, scope: frozenset[str]) -> Any:
        operand = self.compile(node.operand, scope)
        key = self.compile(node.index, scope)
        if not node.optional and ("_[_]", False) in self.env.overrides:
            return self.route(self.env.entry("_[_]", False), [operand, key], node.pos)  # type: ignore[arg-type]
        o, k, pos = _code(operand), _code(key), node.pos
        if node.optional:
            def opt_index(a: Any) -> Any:
                try:
                    return ops.optional_index(o(a), k(a))
                except CELEvaluationError as e:
                    raise located(e, pos)

            return self.fold(opt_index, [operand, key])
        index = ops.index
        adapt_get = ADAPT.get
        if type(key) is _Const and type(key.value) is int:
            kv = key.value

            def idx_const(a: Any) -> Any:
                v = o(a)
                if type(v) is list and 0 <= kv < len(v):
                    r = v[kv]
                else:
                    try:
                        r = index(v, kv)
                    except CELEvaluationError as e:
                        raise located(e, pos)
                if type(r) is int and INT64_MIN <= r <= INT64_MAX:
                    return r
                f = adapt_get(type(r))
                return r if f is None else f(r)

            if type(operand) is Read:
                return IndexRead(idx_const, operand.key, kv)
            return self.fold(idx_const, [operand, key])

        def idx(a: Any) -> Any:
            try:
                r = index(o(a), k(a))
            except CELEvaluationError as e:
                raise located(e, pos)
            if type(r) is int and INT64_MIN <= r <= INT64_MAX:
                return r
            f = adapt_get(type(r))
            return r if f is None else f(r)

        return self.fold(idx, [operand, key])

    def c_Has(self, node: ast.Has, scope: frozenset[str]) -> Any:
        operand = self.compile(node.operand, scope)
        o, field, pos = _code(operand), node.field, node.pos

        def has(a: Any) -> bool:
            try:
                return has_field(o(a), field)
            except CELEvaluationError as e:
                raise located(e, pos)

        return self.fold(has, [operand])

    # --- logic ----------------------------------------------------------------------

    def c_And(self, node: ast.And, scope: frozenset[str]) -> Any:
        return self.logic(node, scope, stop=False)

    def c_Or(self, node: ast.Or, scope: frozenset[str]) -> Any:
        return self.logic(node, scope, stop=True)

    def logic(self, node: ast.And, scope: frozenset[str], stop: bool) -> Any:
        """`&&` (stop=False) and `||` (stop=True): a deciding value on either side wins over errors."""
        left = self.compile(node.left, scope)
        right = self.compile(node.right, scope)
        if type(left) is _Const and left.value is stop:
            return _Const(stop)
        lf, rf, pos = _code(left), _code(right), node.pos
        name = "_||_" if stop else "_&&_"
        go_on = not stop

        def bad_operand(v: Any) -> CELEvaluationError:
            return located(
                CELEvaluationError(no_matching_overload(name, f"({type_name(v)})")), pos
            )

        def and_or(a: Any) -> Any:
            try:
                lv = lf(a)
            except CELLimitError:
                raise
            except CELEvaluationError as e:
                # Left failed: the right may still decide.
                try:
                    rv = rf(a)
                except CELEvaluationError:
                    raise e from None
                if rv is stop:
                    return stop
                if rv is not go_on:
                    raise bad_operand(rv) from None
                raise e from None
            if lv is stop:
                return stop
            if lv is not go_on:
                try:
                    rv = rf(a)
                except CELEvaluationError:
                    raise bad_operand(lv) from None
                if rv is stop:
                    return stop
                raise bad_operand(lv)
            rv = rf(a)
            if rv is stop or rv is go_on:
                return rv
            raise bad_operand(rv)

        return self.fold(and_or, [left, right])

    def c_Cond(self, node: ast.Cond, scope: frozenset[str]) -> Any:
        cond = self.compile(node.cond, scope)
        then = self.compile(node.then, scope)
        other = self.compile(node.otherwise, scope)
        if type(cond) is _Const and type(cond.value) is bool:
            return then if cond.value else other
        cf, tf, of, pos = _code(cond), _code(then), _code(other), node.pos

        def cond_fn(a: Any) -> Any:
            c = cf(a)
            if c is True:
                return tf(a)
            if c is False:
                return of(a)
            raise located(
                CELEvaluationError(no_matching_overload("_?_:_", f"({type_name(c)}, ...)")), pos
            )

        return cond_fn

    # --- calls ----------------------------------------------------------------------

    def c_Call(self, node: ast.Call, scope: frozenset[str]) -> Any:
        env = self.env
        ref = self.refs.get(id(node))
        if ref is not None:
            _, name, member = ref
            args = (node.target, *node.args) if member else node.args
        else:
            name, member, args = names.resolve_call(
                node, scope, env.variables, self.prefixes, lambda n: env.entry(n, False) is not None
            )
        entry = env.entry(name, member)
        if entry is None:
            return self.unknown_function(name, args, node, scope, member)
        return self.call(entry, args, node, scope)

    def unknown_function(self, name: str, args: tuple[Any, ...], node: ast.Node, scope: frozenset[str], member: bool) -> Any:
        kind = "method" if member else "function"
        known = self.env.registry.methods if member else self.env.registry.functions
        if self.static:
            return self.error(names.undeclared(name, "", kind, known), node.pos)
        codes = [self.code(a, scope) for a in args]
        pos = node.pos
        message = f"unbound {kind} '{name}'{did_you_mean(name, known)}"

        def unknown(a: Any) -> Any:
            for c in codes:
                c(a)
            raise located(CELEvaluationError(message), pos)

        return unknown

    def call(self, entry: Entry, args: tuple[Any, ...], node: ast.Node, scope: frozenset[str]) -> Any:
        """A call routed by what the registry and the environment say of it.

        A specialised closure stands for the standard implementation only when
        the environment adds no overload for the types it handles; folding
        runs only pure functions, and never an environment's overload.
        """
        parts = [self.compile(a, scope) for a in args]
        return self.route(entry, parts, node.pos)

    def route(self, entry: Entry, parts: list[Any], pos: int) -> Any:
        codes = [_code(p) for p in parts]
        fn = entry.function
        name = entry.name
        over = self.env.overrides.get((name, entry.member))
        foldable = fn.pure and all(type(p) is _Const for p in parts) and (
            over is None or over.find([p.value for p in parts]) is None
        )
        if fn.cost is not Cost.CONSTANT or fn.precheck is not None:
            self.charges = True
        if len(codes) == 2 and not entry.member and specialisable(entry, over):
            right = parts[1]
            const = type(right) is _Const
            sized = self.size_check() if fn.cost is Cost.BUILDS else None
            slow = entry.impl if over is None else self.with_overrides(over, entry.impl, fn.cost is Cost.WALKS)
            left = parts[0]
            code = binary(
                name, slow, codes[0], None if const else codes[1], right.value if const else None, pos, sized,
                fn.cost is Cost.WALKS, self.limits, left if type(left) is FieldRead else None,
            )
            return self.fold(code, parts) if foldable else code
        impl, precheck = entry.impl, fn.precheck
        if (
            over is None
            and name == "matches"
            and type(parts[-1]) is _Const
            and type(parts[-1].value) is str
        ):
            try:
                impl, precheck = compiled_matcher(parts[-1].value), receiver_scan
            except CELEvaluationError:
                pass  # an invalid constant pattern fails when evaluated, like any error
        elif precheck is RUNTIME_PATTERN_PRECHECK and type(parts[PATTERN_ARGUMENT[name]]) is _Const:
            # The regex extension: a constant pattern is compiled once (cached), not per call.
            precheck = constant_pattern_precheck
        if precheck is work.parses and over is None and len(codes) == 1:
            code = self.parse_call(name, impl, codes[0], pos)
        elif precheck is receiver_scan and over is None and len(codes) <= 2 and fn.cost is Cost.SCANS:
            code = self.scan_call(name, impl, codes, pos)
        elif precheck is not None or fn.cost is Cost.WALKS or over is not None:
            code = self.checked_call(entry, impl, precheck, over, codes, pos)
        else:
            code = self.plain_call(name, impl, codes, pos)
            if fn.cost is Cost.BUILDS:
                code = self.sized(code, pos)
        return self.fold(code, parts) if foldable else code

    @staticmethod
    def with_overrides(over: Overrides, standard: Callable[..., Any], walks: bool) -> Callable[..., Any]:
        """The environment's overloads first, then the standard implementation
        (handed the budget when it walks values)."""
        if not walks:
            return over.call
        find = over.find

        def call(*args: Any, budget: Any = None) -> Any:
            impl = find(args)
            if impl is not None:
                return impl(*args)
            return standard(*args, budget=budget)

        return call

    def plain_call(self, name: str, impl: Callable[..., Any], codes: list[Any], pos: int) -> Code:
        n = len(codes)
        if n == 0:
            def fn(a: Any) -> Any:
                try:
                    return impl()
                except CELEvaluationError as e:
                    raise located(e, pos)
                except Exception as e:
                    raise _wrap_exception(name, e, pos) from None
        elif n == 1:
            a0 = codes[0]

            def fn(a: Any) -> Any:
                try:
                    return impl(a0(a))
                except CELEvaluationError as e:
                    raise located(e, pos)
                except Exception as e:
                    raise _wrap_exception(name, e, pos) from None
        elif n == 2:
            a0, a1 = codes

            def fn(a: Any) -> Any:
                try:
                    return impl(a0(a), a1(a))
                except CELEvaluationError as e:
                    raise located(e, pos)
                except Exception as e:
                    raise _wrap_exception(name, e, pos) from None
        else:
            def fn(a: Any) -> Any:
                try:
                    return impl(*[c(a) for c in codes])
                except CELEvaluationError as e:
                    raise located(e, pos)
                except Exception as e:
                    raise _wrap_exception(name, e, pos) from None
        return fn

    def parse_call(self, name: str, impl: Callable[..., Any], a0: Code, pos: int) -> Code:
        """A conversion charged the length of a string it parses; numbers (the
        common `double(x)`) take one type check more than a plain call."""
        limits = self.limits
        self.charges = True

        def parse(a: Any) -> Any:
            x = a0(a)
            try:
                if type(x) is str:
                    ctx = a.get(CTX) or shared(limits)
                    ctx.left -= len(x)
                    if ctx.left < ctx.mark:
                        ctx.tick()
                return impl(x)
            except CELEvaluationError as e:
                raise located(e, pos)
            except Exception as e:
                raise _wrap_exception(name, e, pos) from None

        return parse

    def scan_call(self, name: str, impl: Callable[..., Any], codes: list[Any], pos: int) -> Code:
        """A call charged the length of its first argument (a string or list it
        reads through), when there is a budget: the common helpers and string
        searches, without the general checked call's argument tuple."""
        a0 = codes[0]
        a1 = codes[1] if len(codes) == 2 else None
        limits = self.limits
        self.charges = True

        def scan(a: Any) -> Any:
            x = a0(a)
            y = None if a1 is None else a1(a)
            try:
                t = type(x)
                if t is str or t is list or t is dict or t is bytes or t is tuple:
                    ctx = a.get(CTX) or shared(limits)
                    ctx.left -= len(x)
                    if ctx.left < ctx.mark:
                        ctx.tick()
                elif t is not float and t is not int and isinstance(x, (list, tuple, Mapping)):
                    # Numbers (double(x), int(x)) are the common case: no ABC check for them.
                    receiver_scan((x,), a.get(CTX) or shared(limits), limits)
                return impl(x) if a1 is None else impl(x, y)
            except CELEvaluationError as e:
                raise located(e, pos)
            except Exception as e:
                raise _wrap_exception(name, e, pos) from None

        return scan

    def checked_call(
        self, entry: Entry, impl: Callable[..., Any], precheck: Any, over: Overrides | None, codes: list[Any], pos: int
    ) -> Code:
        """A call whose cost and result size are checked (and charged) around the
        standard implementation; an environment's overload, when one applies,
        is called as it is."""
        name = entry.name
        limits = self.limits
        cost = entry.function.cost
        walks = cost is Cost.WALKS
        builds = cost is Cost.BUILDS
        self.charges = True
        find = over.find if over is not None else None

        def checked(a: Any) -> Any:
            args = tuple([c(a) for c in codes])
            try:
                if find is not None:
                    custom = find(args)
                    if custom is not None:
                        return custom(*args)
                ctx = a.get(CTX) or shared(limits)
                if precheck is not None:
                    precheck(args, ctx, limits)
                if walks:
                    return impl(*args, budget=ctx)
                v = impl(*args)
                if builds:
                    n = check_size(v, limits)
                    # The precheck bounds what a builder makes from below and
                    # charged it; without one, what was built is charged.
                    if precheck is None and n:
                        ctx.charge(n)
                return v
            except CELEvaluationError as e:
                raise located(e, pos)
            except Exception as e:
                raise _wrap_exception(name, e, pos) from None

        return checked

    def size_check(self) -> Callable[[Any, Any, int], None]:
        """A check of what an operation built: within the size limits, and charged to the budget."""
        self.charges = True
        limits = self.limits

        def check(a: Any, v: Any, pos: int) -> None:
            try:
                n = check_size(v, limits)
            except CELEvaluationError as e:
                raise located(e, pos)
            if n:
                ctx = a.get(CTX) or shared(limits)
                ctx.left -= n
                if ctx.left < ctx.mark:
                    ctx.tick()

        return check

    def sized(self, fn: Code, pos: int) -> Code:
        check = self.size_check()

        def sized(a: Any) -> Any:
            v = fn(a)
            check(a, v, pos)
            return v

        return sized

    # --- literals ----------------------------------------------------------------------

    def c_ListLit(self, node: ast.ListLit, scope: frozenset[str]) -> Any:
        parts = [self.compile(e, scope) for e in node.elements]
        codes = [_code(p) for p in parts]
        optional = node.optional
        pos = node.pos
        if not optional:
            def build(a: Any) -> Any:
                return [c(a) for c in codes]
        else:
            flags = [i in optional for i in range(len(codes))]

            def build(a: Any) -> Any:
                out = []
                for c, opt in zip(codes, flags):
                    v = c(a)
                    if opt:
                        if type(v) is not Optional:
                            raise located(CELEvaluationError("optional list element must be an optional value"), pos)
                        if v.has_value():
                            out.append(v.value())
                    else:
                        out.append(v)
                return out
        # Lists are mutable Python objects: never share one constant between evaluations.
        return build

    def c_MapLit(self, node: ast.MapLit, scope: frozenset[str]) -> Any:
        entries = [
            (_code(self.compile(k, scope)), _code(self.compile(v, scope)), opt, k.pos)
            for k, v, opt in node.entries
        ]

        def build(a: Any) -> Any:
            out: Any = {}
            for kf, vf, opt, kpos in entries:
                k = kf(a)
                v = vf(a)
                if opt:
                    if type(v) is not Optional:
                        raise located(CELEvaluationError("optional map entry must be an optional value"), kpos)
                    if not v.has_value():
                        continue
                    v = v.value()
                out = map_insert(out, k, v, kpos)
            return out

        return build

    def c_Struct(self, node: ast.Struct, scope: frozenset[str]) -> Any:
        for _, v, _ in node.fields:
            self.compile(v, scope)
        name, pos = node.type_name, node.pos
        if self.static:
            return self.error(f"undeclared reference to message type '{name}'", pos)

        def struct(a: Any) -> Any:
            raise located(CELEvaluationError(f"unknown message type '{name}': celprice has no protobuf messages"), pos)

        return struct

    # --- macros -------------------------------------------------------------------------

    def c_Bind(self, node: ast.Bind, scope: frozenset[str]) -> Any:
        self.needs_scope = True
        init = self.code(node.init, scope)
        body = self.code(node.body, scope | {node.var})
        key = "@" + node.var

        def bind(a: Any) -> Any:
            saved = a.get(key, _MISSING)
            a[key] = init(a)
            try:
                return body(a)
            finally:
                if saved is _MISSING:
                    del a[key]
                else:
                    a[key] = saved

        return bind

    def c_Comprehension(self, node: ast.Comprehension, scope: frozenset[str]) -> Any:
        self.needs_scope = True
        if node.kind == "sort_by" and "lists" not in self.env.extensions:
            # Not a macro without the lists extension: a method nothing declares.
            if self.static:
                return self.error(names.undeclared("sortBy", "", "method"), node.pos)
            unbound = located(CELEvaluationError("unbound method 'sortBy'"), node.pos)

            def no_sort_by(a: Any) -> Any:
                raise unbound

            return no_sort_by
        inner = scope | {node.var} | ({node.var2} if node.var2 else set())
        rng = self.code(node.range, scope)
        pred = self.code(node.predicate, inner) if node.predicate is not None else None
        body = self.code(node.body, inner)
        cost = count_nodes(node.body) + count_nodes(node.predicate) + 1
        return compile_comprehension(node, rng, pred, body, cost, self.limits)




def count_nodes(node: ast.Node | None) -> int:
    """Nodes one evaluation of `node` runs, not counting the insides of nested
    comprehensions (their iterations charge for themselves)."""
    if node is None:
        return 0
    total, stack = 0, [node]
    while stack:
        n = stack.pop()
        total += 1
        if type(n) is ast.Comprehension:
            stack.append(n.range)
        else:
            stack.extend(n.children())
    return total


def _call_name(node: ast.Call, known: frozenset[str]) -> str:
    """`strings.quote` for a call written as a method on a namespace (for the
    functions the estimator knows by name)."""
    target = node.target
    if type(target) is ast.Ident and not target.absolute and "." not in target.name:
        qualified = f"{target.name}.{node.function}"
        if qualified in known:
            return qualified
    return node.function


def estimate_cost(node: ast.Node, registry: Registry = STANDARD) -> tuple[int, int | None]:
    """(min, max) evaluation cost; max is None when it depends on input sizes.

    The registry says which functions build values (their results are sized)
    and which cost what their input costs (scans, walks)."""
    builders = registry.names_costing(Cost.BUILDS)
    sized = registry.names_costing(Cost.SCANS, Cost.WALKS) - {"matches"}
    lo, hi, _ = _estimate(node, builders, sized, registry.names_costing(Cost.SCANS) - {"matches"})
    return lo, hi


def _estimate(
    node: ast.Node, builders: frozenset[str], sized: frozenset[str], scans: frozenset[str] = frozenset()
) -> tuple[int, int | None, int | None]:
    """(min cost, max cost, max size of the value built) of a node."""
    if node.depth >= stack.LEVELS and stack.crossing(node) and stack.low():
        return stack.resume(_estimate, node, builders, sized, scans)
    t = type(node)
    if type(node) is ast.Literal:
        v = node.value
        # Only strings and bytes are sized; a number adds nothing to what `+` builds.
        return 1, 1, len(v) if isinstance(v, (str, bytes)) else 0
    if type(node) is ast.Ident:
        return 1, 1, None
    kids = [_estimate(k, builders, sized, scans) for k in node.children()]
    lo = 1 + sum(k[0] for k in kids)
    hi: int | None = None if any(k[1] is None for k in kids) else 1 + sum(k[1] for k in kids)  # type: ignore[misc]
    size: int | None = None
    if t in (ast.And, ast.Or):
        lo = 1 + kids[0][0]
    elif type(node) is ast.Cond:
        lo = 1 + kids[0][0] + min(kids[1][0], kids[2][0])
    elif type(node) is ast.ListLit or type(node) is ast.MapLit:
        size = len(node.elements) if isinstance(node, ast.ListLit) else len(node.entries)
    elif type(node) is ast.Call and _call_name(node, builders | sized) in builders:
        sizes = [k[2] for k in kids]
        numeric = any(type(k) is ast.Literal and type(k.value) in (int, float, UInt) for k in node.children())
        if node.function == "_+_" and numeric:
            size = 0
        elif node.function == "_+_" and all(s is not None for s in sizes):
            size = sum(sizes)  # type: ignore[arg-type]
            if hi is not None:
                hi += size
        else:
            hi = None
    elif type(node) is ast.Call and _call_name(node, builders | sized) in sized:
        # in, contains, math.greatest, duration(), ... charge the size of what
        # they scan: known only when every argument's size is.
        # A walk goes deeper than the sizes known here: open-ended unless
        # every argument is a literal (then it is folded).
        sizes = [k[2] for k in kids]
        if all(type(k) is ast.Literal for k in node.children()):
            pass
        elif hi is not None and _call_name(node, scans) in scans and all(s is not None for s in sizes):
            hi += sum(sizes)  # type: ignore[arg-type]
        else:
            hi = None
    elif type(node) is ast.Call and _call_name(node, builders | sized) == "matches" and hi is not None:
        pattern = node.args[-1] if node.args else None
        if not (type(pattern) is ast.Literal and type(pattern.value) is str):
            hi += REGEX_COMPILE_COST
    elif type(node) is ast.Comprehension:
        rng = kids[0]
        n = rng[2]
        per = sum(k[1] for k in kids[1:]) if all(k[1] is not None for k in kids[1:]) else None  # type: ignore[misc]
        lo = 1 + rng[0]
        if n is None or per is None or rng[1] is None:
            hi = None
        else:
            hi = 1 + rng[1] + n * (per + 1)
    return lo, hi, size
