"""A lean driver for a Lark LALR(1) parser: Lark's own tables, our own loop.

Lark builds the tables from `grammar/cel.lark` and its callbacks build the AST;
this module only replaces the per-token machinery around them, which is most of
a cold compile: Lark's contextual lexer makes a `Token` object (a str subclass
with line and column bookkeeping) for every token and runs each through a
generic `feed_token` loop that dispatches reductions through several wrapper
layers, including a call for every chain rule (`?addition: multiplication`)
an expression passes through.

Here the lexer tries, in each parser state, exactly the terminals Lark's
contextual lexer would try there, in Lark's order (priority, then width, then
name), so the first alternative that matches is the token Lark would produce;
the alternatives are narrowed to the terminals that can start with the next
character (worked out from each terminal's regular expression), so a token
costs one short match instead of a scan of two dozen alternatives. Chain rules that only hand their single child on
are applied without a call. Errors carry what Lark's would (the offending
token, the position, the expected terminals), and `tests/test_lalr.py` checks
tokens, trees and errors against Lark's own parser on generated input.
"""
from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from typing import Any

# The standard library's regular expression parser (renamed in 3.11, when the
# old names became deprecated): first_chars() reads terminals' patterns with it.
_NEW_SRE = sys.version_info >= (3, 11)
_sre: Any = importlib.import_module("re._constants" if _NEW_SRE else "sre_constants")
_sre_parse: Any = importlib.import_module("re._parser" if _NEW_SRE else "sre_parse")

_REPEATS = frozenset(op for op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)) if op)
_ZERO_WIDTH = frozenset((_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT))

__all__ = ["Driver", "Token", "UnexpectedToken", "UnexpectedCharacter", "first_chars"]

END = "$END"


class Token:
    """A token handed to the parser callbacks: `str(token)` is its text."""

    __slots__ = ("type", "value", "start_pos")

    def __init__(self, type: str, value: str, start_pos: int) -> None:
        self.type = type
        self.value = value
        self.start_pos = start_pos

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r}, {self.start_pos})"


class UnexpectedToken(Exception):
    """A token the grammar does not allow here; `expected` names the terminals it would."""

    def __init__(self, token: Token, expected: frozenset[str]) -> None:
        super().__init__(f"unexpected {token.type} {token.value!r} at {token.start_pos}")
        self.token = token
        self.expected = expected


class UnexpectedCharacter(Exception):
    """No terminal of the grammar matches at `pos`."""

    def __init__(self, pos: int) -> None:
        super().__init__(f"no token matches at {pos}")
        self.pos = pos


_Match = Callable[[str, int], "re.Match[str] | None"]
# A reduction: (number of children, goto state by the state under the
# children, the callback or None when the rule hands its single child on).
_Rule = tuple[int, dict[int, int], "Callable[[list[Any]], Any] | None"]


def _no_match(text: str, pos: int) -> None:
    return None


class Driver:
    """Parses with the tables, terminals and callbacks of one LALR `lark.Lark` instance
    (built with `lexer="contextual"`)."""

    def __init__(self, lark_parser: Any, start: str = "start") -> None:
        frontend = lark_parser.parser
        parser = frontend.parser.parser
        table = parser.parse_table
        callbacks: dict[Any, Callable[[list[Any]], Any]] = parser.callbacks
        lexer = frontend.lexer

        self._ignore = frozenset(lark_parser.lexer_conf.ignore)
        self._start_state: int = table.start_states[start]
        self._end_state: int = table.end_states[start]
        n_states = max(table.states) + 1
        if set(table.states) != set(range(n_states)):
            raise ValueError("the parse table's states are not numbered 0..n-1")

        gotos: dict[str, dict[int, int]] = {}
        for state, entries in table.states.items():
            for symbol, (action, arg) in entries.items():
                if action.name == "Shift" and not symbol.isupper():
                    gotos.setdefault(symbol, {})[state] = arg

        rule_index: dict[Any, int] = {}
        self._rules: list[_Rule] = []
        for rule, callback in callbacks.items():
            if isinstance(rule, str):
                raise ValueError(f"terminal callbacks are not supported ({rule})")
            rule_index[rule] = len(self._rules)
            passes_child_on = (
                rule.options.expand1 and not rule.alias and len(rule.expansion) == 1 and _returns_child(callback)
            )
            goto = gotos.get(rule.origin.name, {})
            self._rules.append((len(rule.expansion), goto, None if passes_child_on else callback))

        # Per state: terminal -> shift target (>= 0) or ~rule index (< 0).
        self._actions: list[dict[str, int]] = [{} for _ in range(n_states)]
        for state, entries in table.states.items():
            actions = self._actions[state]
            for symbol, (action, arg) in entries.items():
                if action.name == "Shift":
                    if symbol.isupper():
                        actions[symbol] = arg
                else:
                    actions[symbol] = ~rule_index[arg]

        # Lexing: per state, the terminals Lark's contextual lexer tries there,
        # in its order; per first character, one pattern of those that can
        # start with it (built on first use, shared by states with the same terminals).
        self._terminals: dict[str, tuple[str, frozenset[str] | None]] = {}
        for t in lexer.root_lexer.terminals:
            regexp = t.pattern.to_regexp()
            self._terminals[t.name] = (regexp, first_chars(regexp))
        by_names: dict[tuple[str, ...], dict[str, _Match]] = {}
        self._lexers: list[dict[str, _Match]] = [{} for _ in range(n_states)]
        self._state_terminals: list[tuple[str, ...]] = [() for _ in range(n_states)]
        for state, basic in lexer.lexers.items():
            _check_no_callbacks(basic)
            names = tuple(t.name for t in basic.terminals)
            self._state_terminals[state] = names
            self._lexers[state] = by_names.setdefault(names, {})
        self._patterns: dict[tuple[str, ...], _Match] = {}
        _check_no_callbacks(lexer.root_lexer)
        self._any_token = self._pattern(tuple(t.name for t in lexer.root_lexer.terminals))

    def _pattern(self, names: tuple[str, ...]) -> _Match:
        match = self._patterns.get(names)
        if match is None:
            if not names:
                match = _no_match
            else:
                pattern = "|".join(f"(?P<{name}>{self._terminals[name][0]})" for name in names)
                match = re.compile(pattern).match
            self._patterns[names] = match
        return match

    def _lexer_for(self, state: int, char: str) -> _Match:
        """The pattern of the state's terminals that can start with `char`."""
        terminals = self._terminals
        names = tuple(
            name for name in self._state_terminals[state] if (first := terminals[name][1]) is None or char in first
        )
        match = self._pattern(names)
        if char < "\x80":
            # Remembered per ASCII character only: other characters start no
            # terminal of this grammar, and input must not grow the tables.
            self._lexers[state][char] = match
        return match

    def parse(self, text: str, on_token: Callable[[Token], None] | None = None) -> Any:
        """The value the start rule's callback returns for `text`, or
        UnexpectedToken / UnexpectedCharacter (or whatever a callback raises).
        `on_token` sees every token lexed, `$END` last."""
        actions, rules, lexers = self._actions, self._rules, self._lexers
        ignore, end_state = self._ignore, self._end_state
        states: list[int] = [self._start_state]
        values: list[Any] = []
        pos, n = 0, len(text)
        while True:
            state = states[-1]
            # Lex the next token in the current state's terminals (Lark's contextual lexer).
            lexer = lexers[state]
            while pos < n:
                match = lexer.get(text[pos])
                if match is None:
                    match = self._lexer_for(state, text[pos])
                m = match(text, pos)
                if m is None:
                    raise self._lex_error(text, pos, state)
                kind = m.lastgroup
                assert kind is not None
                if kind in ignore:
                    pos = m.end()
                    continue
                token = Token(kind, m.group(), pos)
                pos = m.end()
                break
            else:
                kind = END
                token = Token(END, "", n)
            if on_token is not None:
                on_token(token)
            # Reduce as far as the token asks, then shift it.
            while True:
                action = actions[state].get(kind)
                if action is None:
                    raise UnexpectedToken(token, frozenset(actions[state]))
                if action >= 0:
                    states.append(action)
                    values.append(token)
                    break
                size, goto, callback = rules[~action]
                if callback is None:
                    del states[-1]
                else:
                    if size:
                        children = values[-size:]
                        del values[-size:]
                        del states[-size:]
                    else:
                        children = []
                    values.append(callback(children))
                state = goto[states[-1]]
                states.append(state)
                if state == end_state and kind == END:
                    return values[-1]

    def _lex_error(self, text: str, pos: int, state: int) -> Exception:
        # As Lark's contextual lexer: a token the grammar knows but that cannot
        # come here is an unexpected token; anything else an unexpected character.
        m = self._any_token(text, pos)
        if m is None or m.lastgroup is None or m.lastgroup in self._ignore:
            return UnexpectedCharacter(pos)
        expected = frozenset(self._state_terminals[state]) - self._ignore
        return UnexpectedToken(Token(m.lastgroup, m.group(), pos), expected or frozenset({"<END-OF-FILE>"}))


def _check_no_callbacks(basic_lexer: Any) -> None:
    basic_lexer.scanner  # builds Lark's own scanner, which fills in `callback`
    if basic_lexer.callback:
        # Lark would re-type some tokens after matching (a string terminal that
        # a regular one also matches); the grammar has none, and this driver does not do it.
        raise ValueError(f"terminals needing lexer callbacks are not supported: {sorted(basic_lexer.callback)}")


def _returns_child(callback: Callable[[list[Any]], Any]) -> bool:
    marker = object()
    try:
        return callback([marker]) is marker
    except Exception:
        return False


# --- the characters a terminal can start with ------------------------------------

def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of `pattern` can start with; None when that is
    not known (any character may), which is always a safe answer."""
    chars, nullable = _first_of_sequence(_sre_parse.parse(pattern))
    return None if chars is None or nullable else frozenset(chars)


def _first_of_sequence(items: Any) -> tuple[set[str] | None, bool]:
    """(first characters or None for unknown, whether the sequence can match empty)."""
    out: set[str] = set()
    for op, av in items:
        chars, nullable = _first_of_item(op, av)
        if chars is None:
            return None, False
        out |= chars
        if not nullable:
            return out, False
    return out, True


def _first_of_item(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    if op is _sre.LITERAL:
        return {chr(av)}, False
    if op is _sre.IN:
        out: set[str] = set()
        for kind, arg in av:
            if kind is _sre.LITERAL:
                out.add(chr(arg))
            elif kind is _sre.RANGE and arg[1] - arg[0] <= 256:
                out.update(map(chr, range(arg[0], arg[1] + 1)))
            else:  # a negated set, a category (\d is Unicode-wide), a wide range
                return None, False
        return out, False
    if op is _sre.BRANCH:
        union: set[str] = set()
        empty = False
        for alternative in av[1]:
            chars, nullable = _first_of_sequence(alternative)
            if chars is None:
                return None, False
            union |= chars
            empty |= nullable
        return union, empty
    if op is _sre.SUBPATTERN:
        if av[1] & re.IGNORECASE:  # added flags
            return None, False
        return _first_of_sequence(av[-1])
    if op in _REPEATS:
        chars, nullable = _first_of_sequence(av[2])
        return chars, nullable or av[0] == 0
    if op in _ZERO_WIDTH:
        # Anchors and lookarounds consume nothing; ignoring what they forbid
        # only lets more characters through.
        return set(), True
    return None, False
