"""A lean driver for a Lark LALR(1) parser: Lark's own tables, our own loop.

Lark builds the tables from `grammar/cel.lark` and its callbacks build the AST;
this module only replaces the per-token machinery around them, which is most of
a cold compile: Lark's contextual lexer makes a `Token` object (a str subclass
with line and column bookkeeping) for every token and runs each through a
generic `feed_token` loop that dispatches reductions through several wrapper
layers, including a call for every chain rule (`?addition: multiplication`)
an expression passes through.

Here each parser state gets one compiled regular expression holding exactly
the terminals Lark's contextual lexer would try in that state, in Lark's order
(priority, then width, then name), so the first alternative that matches is
the token Lark would produce. Chain rules that only hand their single child on
are applied without a call. Errors carry what Lark's would (the offending
token, the position, the expected terminals), and `tests/test_lalr.py` checks
tokens, trees and errors against Lark's own parser on generated input.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["Driver", "Token", "UnexpectedToken", "UnexpectedCharacter"]

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
# A reduction: (number of children, the rule's nonterminal, the callback or
# None when the rule hands its single child on unchanged).
_Rule = tuple[int, str, "Callable[[list[Any]], Any] | None"]


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

        rule_index: dict[Any, int] = {}
        self._rules: list[_Rule] = []
        for rule, callback in callbacks.items():
            if isinstance(rule, str):
                raise ValueError(f"terminal callbacks are not supported ({rule})")
            rule_index[rule] = len(self._rules)
            passes_child_on = (
                rule.options.expand1 and not rule.alias and len(rule.expansion) == 1 and _returns_child(callback)
            )
            self._rules.append((len(rule.expansion), rule.origin.name, None if passes_child_on else callback))

        # Per state: terminal -> shift target (>= 0) or ~rule index (< 0); nonterminal -> goto.
        self._actions: dict[int, dict[str, int]] = {}
        self._gotos: dict[int, dict[str, int]] = {}
        for state, entries in table.states.items():
            actions: dict[str, int] = {}
            gotos: dict[str, int] = {}
            for symbol, (action, arg) in entries.items():
                if action.name == "Shift":
                    (actions if symbol.isupper() else gotos)[symbol] = arg
                else:
                    actions[symbol] = ~rule_index[arg]
            self._actions[state] = actions
            self._gotos[state] = gotos

        # One regular expression per distinct set of terminals a state accepts.
        compiled: dict[tuple[str, ...], _Match] = {}
        self._lexers: dict[int, _Match] = {}
        self._lexable: dict[int, frozenset[str]] = {}
        for state, basic in lexer.lexers.items():
            names = tuple(t.name for t in basic.terminals)
            if names not in compiled:
                compiled[names] = _alternation(basic)
            self._lexers[state] = compiled[names]
            self._lexable[state] = frozenset(names) - self._ignore
        self._any_token = _alternation(lexer.root_lexer)

    def parse(self, text: str, on_token: Callable[[Token], None] | None = None) -> Any:
        """The value the start rule's callback returns for `text`, or
        UnexpectedToken / UnexpectedCharacter (or whatever a callback raises).
        `on_token` sees every token lexed, `$END` last."""
        actions, gotos, rules, lexers = self._actions, self._gotos, self._rules, self._lexers
        ignore, end_state = self._ignore, self._end_state
        states: list[int] = [self._start_state]
        values: list[Any] = []
        pos, n = 0, len(text)
        while True:
            state = states[-1]
            # Lex the next token in the current state's terminals (Lark's contextual lexer).
            match = lexers[state]
            while pos < n:
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
                size, origin, callback = rules[~action]
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
                state = gotos[states[-1]][origin]
                states.append(state)
                if state == end_state and kind == END:
                    return values[-1]

    def _lex_error(self, text: str, pos: int, state: int) -> Exception:
        # As Lark's contextual lexer: a token the grammar knows but that cannot
        # come here is an unexpected token; anything else an unexpected character.
        m = self._any_token(text, pos)
        if m is None or m.lastgroup is None or m.lastgroup in self._ignore:
            return UnexpectedCharacter(pos)
        return UnexpectedToken(Token(m.lastgroup, m.group(), pos), self._lexable[state] or frozenset({"<END-OF-FILE>"}))


def _alternation(basic_lexer: Any) -> _Match:
    """One pattern trying a Lark basic lexer's terminals in its order."""
    basic_lexer.scanner  # builds Lark's own scanner, which fills in `callback`
    if basic_lexer.callback:
        # Lark would re-type some tokens after matching (a string terminal that
        # a regular one also matches); the grammar has none, and this driver does not do it.
        raise ValueError(f"terminals needing lexer callbacks are not supported: {sorted(basic_lexer.callback)}")
    pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in basic_lexer.terminals)
    return re.compile(pattern, basic_lexer.g_regex_flags).match


def _returns_child(callback: Callable[[list[Any]], Any]) -> bool:
    marker = object()
    try:
        return callback([marker]) is marker
    except Exception:
        return False
