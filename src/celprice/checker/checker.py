"""Type deduction: the type of every node, overload resolution, and located errors.

`check(node, env, source)` walks a parsed expression once. Names resolve by
CEL's rule (names.py: locals, then the container's candidate names longest
first, then type names) and are recorded for the compiler; each call is
matched against the overloads of the function registry (stdlib) plus the
environment's own functions,
with type parameters unified through one substitution. `dyn` is assignable
to and from everything, so untyped data flows through without errors.

Every problem is collected (a failed sub-expression gets the error type,
which matches anything, so one mistake is reported once) and raised together
as a CELCheckError.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .. import ast, names, stack
from ..ast import MACRO_NAMES as _MACRO_NAMES
from ..errors import CELCheckError, CELSyntaxError
from ..hints import macro_style_fix, mixed_number_fix, mixed_number_operand
from ..values import TYPES, type_name
from ..spelling import no_matching_overload
from ..stdlib import STANDARD
from ..stdlib.format import clause_count
from ..celtypes import (
    DYN,
    ERROR,
    NUMBERS,
    Type,
    Var,
    assignable,
    format_type,
    more_general,
    parse_type,
    parse_types,
    rebind,
    is_record,
    record_field,
    record_type,
    resolve,
    undo,
    walk,
)

__all__ = ["CheckResult", "Declarations", "check", "declarations"]


# --- declarations -------------------------------------------------------------------


class _Overload:
    __slots__ = ("params", "result", "vars")

    def __init__(self, params: list[Type], result: Type, vars: dict[str, Var]) -> None:
        self.params = tuple(params)
        self.result = result
        self.vars = tuple(vars.values())


class _Function:
    """All overloads of one name (global or method), grouped by arity."""

    __slots__ = ("name", "by_arity", "exact", "generic_arities")

    def __init__(self, name: str) -> None:
        self.name = name
        self.by_arity: dict[int, list[_Overload]] = {}
        # (arg types) -> result, for overloads over plain (non-generic, non-dyn) types
        self.exact: dict[tuple[Any, ...], Type] = {}
        self.generic_arities: set[int] = set()

    def add(self, ov: _Overload) -> None:
        n = len(ov.params)
        self.by_arity.setdefault(n, []).append(ov)
        if ov.vars or any(type(p) is not str or p == DYN or p == ERROR for p in ov.params):
            self.generic_arities.add(n)
        else:
            key = ov.params
            if key in self.exact and self.exact[key] != ov.result:
                self.generic_arities.add(n)  # two results for the same arguments: take the slow path
            self.exact.setdefault(key, ov.result)


def _parse_overload(params: Sequence[str] | str, result: str) -> _Overload:
    names: dict[str, Var] = {}
    if isinstance(params, str):
        ptypes = parse_types(params, names)
    else:
        ptypes = [parse_type(p, names) for p in params]
    return _Overload(ptypes, parse_type(result, names), names)


def _standard(registry: Any = STANDARD) -> tuple[dict[str, _Function], dict[str, _Function]]:
    """A library registry's overloads (the standard one, or it with an
    environment's extensions), read once per registry."""
    tables = _LIBRARIES.get(id(registry))
    if tables is None or tables[0] is not registry:
        functions: dict[str, _Function] = {}
        methods: dict[str, _Function] = {}
        for entry, ov in registry.signatures():
            table = methods if entry.member else functions
            table.setdefault(entry.name, _Function(entry.name)).add(_parse_overload(list(ov.params), ov.result))
        tables = (registry, functions, methods)
        _LIBRARIES[id(registry)] = tables
    return tables[1], tables[2]


# Library registries are few and live as long as the process (stdlib caches them).
_LIBRARIES: dict[int, tuple[Any, dict[str, _Function], dict[str, _Function]]] = {}
VARIADIC_NUMERIC = frozenset(e.name for e in STANDARD.entries() if e.function.variadic_numeric)


def _copy_table(table: dict[str, _Function]) -> dict[str, _Function]:
    out = {}
    for name, fn in table.items():
        new = _Function(name)
        for ovs in fn.by_arity.values():
            for ov in ovs:
                new.add(ov)
        out[name] = new
    return out


class Declarations:
    """What the checker knows of one environment: variable types and every overload."""

    def __init__(self, env: Any, functions: Iterable[Any] = ()) -> None:
        self.container = env.container
        records: dict[str, Type] = {
            name: record_type({field: parse_type(text) for field, text in fields.items()})
            for name, fields in getattr(env, "records", {}).items()
        }
        self.variables: dict[str, Type] = {
            name: parse_type(text, named=records) for name, text in env.variables.items()
        }
        std_functions, std_methods = _standard(getattr(env, "library", STANDARD))
        custom = [*env.custom, *functions]
        if custom:
            self.functions = _copy_table(std_functions)
            self.methods = _copy_table(std_methods)
            for fn in custom:
                for ov in fn.overloads:
                    table = self.methods if ov.member else self.functions
                    if fn.name not in table:
                        table[fn.name] = _Function(fn.name)
                    table[fn.name].add(_parse_overload(list(ov.params), ov.result))
        else:
            self.functions, self.methods = std_functions, std_methods
        self.prefixes = names.prefixes(env.container)
        self.extensions: frozenset[str] = frozenset(getattr(env, "extensions", ()))

    def has_function(self, name: str) -> bool:
        return name in self.functions




def declarations(env: Any) -> Declarations:
    """The (cached) Declarations of an Environment."""
    decls: Declarations | None = env.__dict__.get("_checker_declarations")
    if decls is None:
        decls = Declarations(env)
        env.__dict__["_checker_declarations"] = decls
    return decls


# --- results ------------------------------------------------------------------------


class CheckResult:
    """A checked expression: its type, the type of every node (by id(node)),
    and what every name and call resolved to (`references`, by id(node)):

    - a name or a chain of selections (keyed by its outermost node):
      `("local", name, 1)`, `("variable", name, n)` or `("type", name, n)`,
      where the first n parts of the chain make the name;
    - a call: `("function", name, False)` or `("function", name, True)` for a method.

    The compiler builds from these instead of resolving names again.
    """

    __slots__ = ("type", "result_type", "references", "_types", "_subs")

    def __init__(self, root: Type, types: dict[int, Type], subs: dict[Any, Any], references: dict[int, tuple[Any, ...]]) -> None:
        self.type = resolve(root, subs, DYN)
        self.result_type = format_type(self.type)
        self.references = references
        self._types = types
        self._subs = subs

    def type_of(self, node: ast.Node) -> str | None:
        """The CEL type name deduced for a node of the checked tree (None if not visited)."""
        t = self._types.get(id(node))
        return None if t is None else format_type(resolve(t, self._subs, DYN))

    def is_record(self, node: ast.Node) -> bool:
        """Whether the node's type is one of the environment's records (a map
        with typed fields: its type name alone says `map(string, dyn)`)."""
        t = self._types.get(id(node))
        if isinstance(t, Var):
            t = walk(t, self._subs)
        return t is not None and is_record(t)

    def node_types(self) -> dict[int, str]:
        """{id(node): CEL type name} for every node, for the compiler to specialise on."""
        subs = self._subs
        return {k: format_type(resolve(t, subs, DYN)) for k, t in self._types.items()}


# --- the checker ----------------------------------------------------------------------

_TYPE_VALUES: dict[str, Type] = {
    name: ("type", parse_type(name)) for name in TYPES
}
_EQUALITY = frozenset({"_==_", "_!=_"})
_MAP_KEYS = frozenset({"int", "uint", "bool", "string", DYN, ERROR})


def _is_error(t: Type) -> bool:
    return t is ERROR or (type(t) is str and t == ERROR)


class _Checker:
    def __init__(self, decls: Declarations, source: str) -> None:
        self.decls = decls
        self.source = source
        self.subs: dict[Any, Any] = {}
        self.trail: list[Any] = []
        self.types: dict[int, Type] = {}
        self.refs: dict[int, tuple[Any, ...]] = {}
        self.errors: list[CELSyntaxError] = []

    # --- helpers ----------------------------------------------------------------------

    def error(self, message: str, pos: int) -> Type:
        self.errors.append(CELSyntaxError(message, source=self.source, offset=pos))
        return ERROR

    def fmt(self, t: Type) -> str:
        return format_type(t, self.subs)

    def is_bool(self, t: Type) -> bool:
        mark = len(self.trail)
        if assignable("bool", t, self.subs, self.trail):
            return True
        undo(self.subs, self.trail, mark)
        return False

    def join(self, previous: Type, current: Type) -> Type:
        """The common type of two values (list elements, ?: branches); dyn when none."""
        mark = len(self.trail)
        if assignable(previous, current, self.subs, self.trail):
            if previous is not current and (is_record(previous) or is_record(current)):
                return ("map", "string", DYN)  # a record and another map: the fields may differ
            return more_general(previous, current, self.subs)
        undo(self.subs, self.trail, mark)
        return DYN

    def visit(self, node: ast.Node, scope: dict[str, Type]) -> Type:
        if node.depth >= stack.LEVELS and stack.crossing(node) and stack.low():
            return stack.resume(self.visit, node, scope)
        t: Type = _DISPATCH[type(node)](self, node, scope)
        self.types[id(node)] = t
        return t

    # --- leaves ----------------------------------------------------------------------

    def v_Literal(self, node: ast.Literal, scope: dict[Any, Any]) -> Type:
        return type_name(node.value)

    def v_Ident(self, node: ast.Ident, scope: dict[Any, Any]) -> Type:
        return self.resolve_name(node, [], scope)

    def resolve_name(self, root: ast.Ident, chain: list[ast.Select], scope: dict[Any, Any]) -> Type:
        """A possibly qualified name (`a.b.c`), resolved by names.py's rule and recorded."""
        outer = id(chain[-1]) if chain else id(root)
        if not root.absolute and root.name in scope:
            t = scope[root.name]
            self.types[id(root)] = t
            self.refs[outer] = ("local", root.name, 1)
            return self.selects(t, chain)
        parts = [root.name, *(s.field for s in chain)]
        scopes = [""] if root.absolute else self.decls.prefixes
        variables = self.decls.variables
        found = names.first_match(parts, scopes, variables.__contains__)
        if found is not None:
            self.refs[outer] = ("variable", *found)
            return self.named(variables[found[0]], root, chain, found[1])
        found = names.first_match(parts, scopes, _TYPE_VALUES.__contains__)
        if found is not None:
            self.refs[outer] = ("type", *found)
            return self.named(_TYPE_VALUES[found[0]], root, chain, found[1])
        known = [*(n for n in scope if n[0] != "@"), *variables]
        return self.error(names.undeclared(".".join(parts), self.decls.container, "", known), root.pos)

    def named(self, t: Type, root: ast.Ident, chain: list[ast.Select], n: int) -> Type:
        self.types[id(root)] = t
        for s in chain[: n - 1]:
            self.types[id(s)] = t
        return self.selects(t, chain[n - 1 :])

    def selects(self, t: Type, chain: Sequence[ast.Select]) -> Type:
        for s in chain:
            t = self.select(t, s.field, s.pos, False)
            self.types[id(s)] = t
        return t

    def select(self, t: Type, field: str, pos: int, optional: bool) -> Type:
        w = walk(t, self.subs)
        if type(w) is Var or w == DYN or w == ERROR:
            r: Type = w if w == ERROR else DYN
        elif type(w) is tuple and w[0] == "map":
            r = record_field(w, field) or w[2]
        elif type(w) is tuple and w[0] == "optional_type":
            inner = self.select(w[1], field, pos, False)
            return inner if _is_error(inner) else ("optional_type", inner)
        elif type(w) is str and "." in w:
            r = DYN  # a message type: celprice does not know its fields
        else:
            return self.error(f"type '{self.fmt(w)}' does not support field selection (field '{field}')", pos)
        return ("optional_type", r) if optional and not _is_error(r) else r

    # --- selection, indexing -------------------------------------------------------------

    def v_Select(self, node: ast.Select, scope: dict[Any, Any]) -> Type:
        if not node.optional:
            chain: list[ast.Select] = []
            root: ast.Node = node
            while type(root) is ast.Select and not root.optional:
                chain.append(root)
                root = root.operand
            if type(root) is ast.Ident:
                return self.resolve_name(root, chain[::-1], scope)
        t = self.visit(node.operand, scope)
        return self.select(t, node.field, node.pos, node.optional)

    def v_Index(self, node: ast.Index, scope: dict[Any, Any]) -> Type:
        container = self.visit(node.operand, scope)
        key = self.visit(node.index, scope)
        w = walk(container, self.subs)
        optional = node.optional
        if type(w) is tuple and w[0] == "optional_type":
            # Indexing an optional chains: optional.of(m)['k'] is an optional.
            w = walk(w[1], self.subs)
            optional = True
        k = walk(key, self.subs)
        if _is_error(w) or _is_error(k):
            return ERROR
        if type(w) is Var or w == DYN:
            r: Type = DYN
        elif type(w) is tuple and w[0] == "list" and (type(k) is Var or k in ("int", "uint", "double", DYN)):
            r = w[1]
        elif type(w) is tuple and w[0] == "map" and (
            self.join_key(w[1], k) or (k in NUMBERS and walk(w[1], self.subs) in NUMBERS)
        ):
            r = w[2]
        else:
            return self.error(
                no_matching_overload("_[_]", f"({self.fmt(w)}, {self.fmt(k)})"), node.pos
            )
        return ("optional_type", r) if optional else r

    def join_key(self, declared: Type, key: Type) -> bool:
        mark = len(self.trail)
        if assignable(declared, key, self.subs, self.trail):
            return True
        undo(self.subs, self.trail, mark)
        return False

    def v_Has(self, node: ast.Has, scope: dict[Any, Any]) -> Type:
        t = self.visit(node.operand, scope)
        r = self.select(t, node.field, node.pos, False)
        return ERROR if _is_error(r) and not _is_error(t) else "bool"

    # --- logic ---------------------------------------------------------------------------

    def v_And(self, node: ast.And, scope: dict[Any, Any]) -> Type:
        return self.logic(node, scope, "_&&_")

    def v_Or(self, node: ast.Or, scope: dict[Any, Any]) -> Type:
        return self.logic(node, scope, "_||_")

    def logic(self, node: ast.And, scope: dict[Any, Any], name: str) -> Type:
        left = self.visit(node.left, scope)
        right = self.visit(node.right, scope)
        if not (self.is_bool(left) and self.is_bool(right)):
            return self.error(
                no_matching_overload(name, f"({self.fmt(left)}, {self.fmt(right)})"),
                node.pos,
            )
        return "bool"

    def v_Cond(self, node: ast.Cond, scope: dict[Any, Any]) -> Type:
        cond = self.visit(node.cond, scope)
        then = self.visit(node.then, scope)
        other = self.visit(node.otherwise, scope)
        if not self.is_bool(cond):
            self.error(
                no_matching_overload("_?_:_", f"({self.fmt(cond)}, {self.fmt(then)}, {self.fmt(other)})"),
                node.pos,
            )
        if _is_error(then) or _is_error(other):
            return ERROR
        # `_?_:_` is (bool, A, A) -> A: branches that share no type are an
        # error, as in the references (a list literal's elements join to dyn).
        mark = len(self.trail)
        if not assignable(then, other, self.subs, self.trail):
            undo(self.subs, self.trail, mark)
            if not assignable(other, then, self.subs, self.trail):
                undo(self.subs, self.trail, mark)
                return self.error(
                    no_matching_overload("_?_:_", f"({self.fmt(cond)}, {self.fmt(then)}, {self.fmt(other)})"),
                    node.pos,
                )
        undo(self.subs, self.trail, mark)
        return self.join(then, other)

    # --- calls -----------------------------------------------------------------------------

    def v_Call(self, node: ast.Call, scope: dict[Any, Any]) -> Type:
        decls = self.decls
        name, member, args = names.resolve_call(node, scope, decls.variables, decls.prefixes, decls.has_function)
        self.refs[id(node)] = ("function", name, member)
        if member and name == "format":
            self.format_arguments(args, node)
        return self.call(name, args, node, scope, member)

    def format_arguments(self, args: Sequence[ast.Node], node: ast.Call) -> None:
        """`'%s'.format(['a', 'b'])`: a constant format string given a list
        literal of more arguments than it has clauses, reported as cel-go's
        format validator does (too few fail when evaluated, with their index)."""
        if len(args) != 2 or type(args[0]) is not ast.Literal or type(args[1]) is not ast.ListLit:
            return
        fmt, items = args[0].value, args[1]
        if type(fmt) is not str or items.optional:
            return
        wanted = clause_count(fmt)
        if wanted is not None and len(items.elements) > wanted:
            self.error(
                f"too many arguments supplied to string.format (expected {wanted}, got {len(items.elements)})",
                node.pos,
            )

    def call(self, name: str, args: Sequence[ast.Node], node: ast.Call, scope: dict[Any, Any], member: bool) -> Type:
        decls = self.decls
        fn = (decls.methods if member else decls.functions).get(name)
        if member and fn is not None and len(args) == 3 and 3 not in fn.by_arity:
            var = args[1]
            if type(var) is ast.Ident and not var.absolute and var.name not in scope:
                if var.name not in decls.variables:
                    # `list.sum(o, o.count)`: written like a macro, where `o` would be
                    # reported as an undeclared reference that says nothing useful.
                    self.visit(args[0], scope)
                    return self.error(macro_style_fix(name, args[0], var.name, args[2], node.pos), node.pos)
        types = [self.visit(a, scope) for a in args]
        if fn is None:
            return self.error(names.undeclared(name, "", "method" if member else "function", decls.methods if member else decls.functions), node.pos)
        if not member and name in VARIADIC_NUMERIC and fn.name == name:
            return self.variadic_numeric(name, types, node)
        return self.overload(fn, types, node, member)

    def describe(self, name: str, types: Sequence[Type], member: bool) -> str:
        if member:
            rest = ", ".join(self.fmt(t) for t in types[1:])
            return no_matching_overload(name, f"{self.fmt(types[0])}.({rest})")
        return no_matching_overload(name, f"({', '.join(self.fmt(t) for t in types)})")

    def overload(self, fn: _Function, types: list[Type], node: ast.Call, member: bool) -> Type:
        n = len(types)
        group = fn.by_arity.get(n)
        if any(_is_error(t) for t in types):
            return ERROR
        if group is None:
            arities = sorted(o - member for o in fn.by_arity)
            expected = " or ".join(str(a) for a in arities)
            kind = "method" if member else "function"
            got = n - member
            return self.error(
                f"{kind} '{fn.name}' takes {expected} argument{'s' if arities != [1] else ''}, got {got}", node.pos
            )
        subs, trail = self.subs, self.trail
        if n not in fn.generic_arities:
            key = tuple(types)
            r = fn.exact.get(key)
            if r is not None:
                return r
        matches: list[tuple[Type, list[Any]]] = []
        for ov in group:
            params, result = ov.params, ov.result
            if ov.vars:
                fresh = {v: Var(v.name) for v in ov.vars}
                params = tuple(resolve(p, fresh) for p in params)
                result = resolve(result, fresh)
            mark = len(trail)
            for p, a in zip(params, types):
                if not assignable(p, a, subs, trail):
                    break
            else:
                bound = [(v, subs[v]) for v in (getattr(e, "var", e) for e in trail[mark:])]
                matches.append((resolve(result, subs), bound))
            undo(subs, trail, mark)
        if not matches:
            if fn.name in _EQUALITY and self.comparable(types[0], types[1]):
                return "bool"
            if fn.name == "@in" and self.comparable(types[0], self.element(types[1])):
                return "bool"
            message = self.describe(fn.name, types, member)
            mixed = None if member else mixed_number_operand(fn.name, [self.fmt(t) for t in types])
            if mixed is not None:
                message += ": " + mixed_number_fix(node, mixed)
            return self.error(message, node.pos)
        if len(matches) == 1:
            result, bound = matches[0]
            for v, t in bound:
                rebind(subs, trail, v, t)
            return result
        first = matches[0][0]
        if all(m[0] == first for m in matches):
            return first
        return DYN

    def comparable(self, a: Type, b: Type) -> bool:
        """Heterogeneous equality: values of the same kind (two lists, two maps, two
        types) may be compared whatever their parameters; int and string may not."""
        a, b = walk(a, self.subs), walk(b, self.subs)
        if type(a) is tuple and type(b) is tuple:
            return a[0] == b[0]
        return False

    def element(self, t: Type) -> Type:
        w = walk(t, self.subs)
        if type(w) is tuple and w[0] in ("list", "map"):
            return w[1]
        return ERROR

    def variadic_numeric(self, name: str, types: list[Type], node: ast.Call) -> Type:
        if any(_is_error(t) for t in types):
            return ERROR
        items = types
        if len(types) == 1:
            w = walk(types[0], self.subs)
            if type(w) is tuple and w[0] == "list":
                items = [w[1]]
        if not items:
            return self.error(f"function '{name}' takes 1 or more arguments, got 0", node.pos)
        if len(node.args) == 1 and type(node.args[0]) is ast.ListLit and not node.args[0].elements:
            # cel-go's macro refuses this when parsing; here it is a check error.
            return self.error(f"{name}() invalid single argument value", node.args[0].pos)
        kinds = set()
        for t in items:
            w = walk(t, self.subs)
            if type(w) is Var or w == DYN:
                kinds.add(DYN)
            elif w in NUMBERS:
                kinds.add(w)
            else:
                return self.error(self.describe(name, types, False), node.pos)
        return kinds.pop() if len(kinds) == 1 else DYN

    # --- literals ----------------------------------------------------------------------------

    def optional_element(self, t: Type, pos: int, what: str) -> Type:
        w = walk(t, self.subs)
        if type(w) is tuple and w[0] == "optional_type":
            return w[1]
        if type(w) is Var or w == DYN or w == ERROR:
            return w if w == ERROR else DYN
        return self.error(f"optional {what} must be an optional value, got '{self.fmt(w)}'", pos)

    def v_ListLit(self, node: ast.ListLit, scope: dict[Any, Any]) -> Type:
        elem: Type | None = None
        optional = node.optional
        for i, e in enumerate(node.elements):
            t = self.visit(e, scope)
            if i in optional:
                t = self.optional_element(t, e.pos, "list element")
            if _is_error(t):
                continue
            elem = t if elem is None else self.join(elem, t)
        return ("list", Var("E") if elem is None else elem)

    def v_MapLit(self, node: ast.MapLit, scope: dict[Any, Any]) -> Type:
        key: Type | None = None
        value: Type | None = None
        for k, v, opt in node.entries:
            kt = self.visit(k, scope)
            vt = self.visit(v, scope)
            wk = walk(kt, self.subs)
            if type(wk) is str and wk not in _MAP_KEYS:
                self.error(f"unsupported key type '{self.fmt(wk)}' in map literal", k.pos)
                kt = ERROR
            if opt:
                vt = self.optional_element(vt, k.pos, "map entry")
            if not _is_error(kt):
                key = kt if key is None else self.join(key, kt)
            if not _is_error(vt):
                value = vt if value is None else self.join(value, vt)
        return ("map", Var("K") if key is None else key, Var("V") if value is None else value)

    def v_Struct(self, node: ast.Struct, scope: dict[Any, Any]) -> Type:
        for _, v, _ in node.fields:
            self.visit(v, scope)
        return self.error(f"undeclared reference to message type '{node.type_name}'", node.pos)

    # --- macros -------------------------------------------------------------------------------

    def v_Bind(self, node: ast.Bind, scope: dict[Any, Any]) -> Type:
        init = self.visit(node.init, scope)
        return self.visit(node.body, {**scope, node.var: init})

    def must_be_bool(self, t: Type, kind: str, what: str, pos: int) -> None:
        if not _is_error(t) and not self.is_bool(t):
            self.error(f"{_MACRO_NAMES[kind]}() {what} must be bool, got '{self.fmt(t)}'", pos)

    def v_Comprehension(self, node: ast.Comprehension, scope: dict[Any, Any]) -> Type:
        kind = node.kind
        rng = self.visit(node.range, scope)
        w = walk(rng, self.subs)
        dynamic = type(w) is Var or w == DYN or w == ERROR
        if kind in ("opt_map", "opt_flat_map"):
            if type(w) is tuple and w[0] == "optional_type":
                var_t: Type = w[1]
            elif dynamic:
                var_t = ERROR if w == ERROR else DYN
            else:
                var_t = self.error(
                    no_matching_overload(_MACRO_NAMES[kind], f"({self.fmt(w)})"), node.pos
                )
            body = self.visit(node.body, {**scope, node.var: var_t})
            if _is_error(body) or _is_error(var_t):
                return ERROR
            if kind == "opt_map":
                return ("optional_type", body)
            b = walk(body, self.subs)
            if type(b) is tuple and b[0] == "optional_type":
                return b
            if type(b) is Var or b == DYN:
                return ("optional_type", DYN)
            return self.error(f"optFlatMap() expression must yield an optional value, got '{self.fmt(b)}'", node.pos)
        if kind == "sort_by":
            return self.sort_by(node, w, dynamic, scope)
        index_t: Type
        if type(w) is tuple and w[0] == "list":
            index_t, elem_t = "int", w[1]
            var_t = index_t if node.var2 else elem_t
            var2_t: Type = elem_t
        elif type(w) is tuple and w[0] == "map":
            index_t = var_t = w[1]
            var2_t = w[2]
        elif dynamic:
            index_t = var_t = var2_t = ERROR if w == ERROR else DYN
        else:
            index_t = var_t = var2_t = self.error(
                f"expression of type '{self.fmt(w)}' cannot be the range of a comprehension "
                "(must be list, map, or dynamic)",
                node.range.pos,
            )
        inner = {**scope, node.var: var_t}
        if node.var2:
            inner[node.var2] = var2_t
        if node.predicate is not None:
            pred = self.visit(node.predicate, inner)
            self.must_be_bool(pred, kind, "predicate", node.pos)
        body = self.visit(node.body, inner)
        if kind in ("all", "exists", "exists_one"):
            self.must_be_bool(body, kind, "condition", node.pos)
            return "bool"
        if kind == "filter":
            self.must_be_bool(body, kind, "predicate", node.pos)
            return ("list", var_t)
        if _is_error(body):
            return ERROR
        if kind in ("map", "transform_list"):
            return ("list", body)
        if kind == "transform_map":
            return ("map", index_t, body)
        # transform_map_entry
        b = walk(body, self.subs)
        if type(b) is tuple and b[0] == "map":
            return b
        if type(b) is Var or b == DYN:
            return ("map", DYN, DYN)
        return self.error(f"transformMapEntry() expression must yield a map, got '{self.fmt(b)}'", node.pos)


    def sort_by(self, node: ast.Comprehension, w: Type, dynamic: bool, scope: dict[Any, Any]) -> Type:
        """The lists extension's `list(T).sortBy(e, key) -> list(T)`, key of a sortable type."""
        if "lists" not in self.decls.extensions:
            self.visit(node.body, {**scope, node.var: DYN})
            return self.error(names.undeclared("sortBy", "", "method"), node.pos)
        if type(w) is tuple and w[0] == "list":
            elem: Type = w[1]
        elif dynamic:
            elem = ERROR if w == ERROR else DYN
        else:
            elem = self.error(no_matching_overload("sortBy", f"({self.fmt(w)})"), node.pos)
        key = self.visit(node.body, {**scope, node.var: elem})
        if _is_error(key) or _is_error(elem):
            return ERROR
        k = walk(key, self.subs)
        if not (type(k) is Var or k == DYN or k in _SORTABLE):
            return self.error(f"sortBy() key must be one of {', '.join(_SORTABLE)}, got '{self.fmt(k)}'", node.pos)
        return ("list", elem) if not dynamic else ("list", DYN)


_SORTABLE = ("int", "uint", "double", "bool", "duration", "timestamp", "string", "bytes")


_DISPATCH: dict[type, Any] = {
    ast.Literal: _Checker.v_Literal,
    ast.Ident: _Checker.v_Ident,
    ast.Select: _Checker.v_Select,
    ast.Index: _Checker.v_Index,
    ast.Call: _Checker.v_Call,
    ast.ListLit: _Checker.v_ListLit,
    ast.MapLit: _Checker.v_MapLit,
    ast.Struct: _Checker.v_Struct,
    ast.Cond: _Checker.v_Cond,
    ast.And: _Checker.v_And,
    ast.Or: _Checker.v_Or,
    ast.Has: _Checker.v_Has,
    ast.Comprehension: _Checker.v_Comprehension,
    ast.Bind: _Checker.v_Bind,
}


def check(node: ast.Node, env: Any, source: str = "", *, functions: Iterable[Any] = ()) -> CheckResult:
    """Deduce the type of `node` (parsed from `source`) in `env`.

    `functions` adds declarations for this check only (Function objects whose
    overloads may use abstract types such as `tuple(A, B)`; their impl is not used).
    Raises CELCheckError with every problem found.
    """
    decls = declarations(env) if not functions else Declarations(env, functions)
    checker = _Checker(decls, source)
    root = checker.visit(node, {})
    if checker.errors:
        checker.errors.sort(key=lambda e: e.offset or 0)
        raise CELCheckError(checker.errors)
    return CheckResult(root, checker.types, checker.subs, checker.refs)
