"""Reading the JSON and YAML documents people give celprice: bounded, strict, JSON's data model.

Whatever a file holds, reading it ends in a value or a DocumentError whose
message starts with the file's name: never a MemoryError, a RecursionError or a
silently different value.

- Size: at most MAX_INPUT_BYTES are read (`/dev/zero` is refused, not exhausted).
- Numbers: an integer of more than MAX_INT_DIGITS digits is refused (Python's
  own limit would raise deep inside the parser); a number beyond the range of
  a double is refused rather than read as infinity.
- Duplicate keys are refused, naming the key and where it is, instead of the
  last one silently winning.
- YAML is read as JSON-compatible YAML 1.2 (the core schema): `0100` is 100,
  `NO`, `on` and `2024-01-01` are strings, `.inf`/`.nan` and tags such as
  `!!binary` are refused, keys are strings, and aliases (`*name`) are refused:
  a few hundred bytes of nested aliases would otherwise expand to gigabytes.
  The value is built from the parser's events without recursion.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_INT_DIGITS",
    "MAX_DEPTH",
    "DocumentError",
    "is_yaml_name",
    "read_bytes",
    "decode",
    "parse_json",
    "parse_yaml",
    "parse",
    "load",
]

MAX_INPUT_BYTES = 16 * 1024 * 1024
MAX_INT_DIGITS = 100  # int64 and uint64 need 20; longer is a mistake, and slow to convert
MAX_DEPTH = 500  # nesting of arrays and objects (JSON's own parser stops near Python's recursion limit)


class DocumentError(ValueError):
    """An input that cannot be read as a document; the message starts with its name."""


def is_yaml_name(name: str) -> bool:
    return name.lower().endswith((".yaml", ".yml"))


def read_bytes(stream: IO[bytes], origin: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """At most `limit` bytes of a stream; DocumentError if it holds more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DocumentError(
            f"{origin}: larger than {_size(limit)}, the limit for an input "
            "(split it, or pass only what the command needs)"
        )
    return data


def _size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB ({n:,} bytes)"
    return f"{n:,} bytes"


def decode(data: bytes, origin: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DocumentError(f"{origin}: not a UTF-8 text file (byte {e.start + 1} is not UTF-8)") from None


def load(path: str | Path) -> Any:
    """A JSON or YAML (.yaml/.yml) file's value; OSError when it cannot be read."""
    origin = str(path)
    with open(path, "rb") as f:
        text = decode(read_bytes(f, origin), origin)
    return parse(text, origin)


def parse(text: str, origin: str, yaml: bool | None = None) -> Any:
    """JSON, or YAML when `yaml` is true (None: by the name's extension, .yaml/.yml)."""
    if yaml is None:
        yaml = is_yaml_name(origin)
    return parse_yaml(text, origin) if yaml else parse_json(text, origin)


# --- numbers (one rule for JSON and YAML) ---------------------------------------------


def _int(text: str, origin: str, where: str = "") -> int:
    digits = len(text.lstrip("+-"))
    if digits > MAX_INT_DIGITS:
        raise DocumentError(
            f"{origin}: {where}an integer of {digits:,} digits is too long "
            f"(at most {MAX_INT_DIGITS}; celprice's integers are 64-bit)"
        )
    return int(text, 10)


def _float(text: str, origin: str, where: str = "") -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DocumentError(f"{origin}: {where}the number {_clip(text)} is beyond the range of a double")
    return value


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


# --- JSON ---------------------------------------------------------------------------------


class _Pairs(dict):  # type: ignore[type-arg]
    """An object that had a duplicate key (found again after parsing, to say where)."""

    duplicate: str


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    marked = _Pairs(result)
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not, and neither do we.
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str, origin: str) -> Any:
    """Strict JSON; errors name the origin, and the line and column or the path of the problem."""
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=lambda t: _int(t, origin),
            parse_float=lambda t: _float(t, origin),
            object_pairs_hook=_pairs_hook,
        )
    except DocumentError:
        raise
    except json.JSONDecodeError as e:
        raise DocumentError(f"{origin}: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except ValueError as e:
        raise DocumentError(f"{origin}: invalid JSON: {e}") from None
    except RecursionError:
        raise DocumentError(f"{origin}: invalid JSON: nested too deeply") from None
    found = _find_duplicate(value)
    if found is not None:
        key, path = found
        raise DocumentError(f"{origin}: duplicate key {json.dumps(key)} in {path} (each key may appear once)")
    return value


def _find_duplicate(value: Any) -> tuple[str, str] | None:
    """The first duplicate key marked by _pairs_hook and the path of its object (iteratively)."""
    todo: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while todo:
        node, path = todo.pop()
        if isinstance(node, _Pairs):
            return node.duplicate, _path(path)
        if isinstance(node, dict):
            todo.extend((v, (*path, k)) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            todo.extend((v, (*path, i)) for i, v in reversed(list(enumerate(node))))
    return None


_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*\Z")


def _path(parts: tuple[str | int, ...]) -> str:
    """`pricing.prices`, `cases[2].expect`; the whole document is `the top-level object`."""
    if not parts:
        return "the top-level object"
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


# --- YAML -----------------------------------------------------------------------------------

# The YAML 1.2 core schema's plain scalars (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL = re.compile(r"(?:null|Null|NULL|~|)\Z")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DECIMAL = re.compile(r"[-+]?[0-9]+\Z")
_OCTAL = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")}


class _Frame:
    __slots__ = ("container", "path", "key", "key_marks")

    def __init__(self, container: Any, path: tuple[str | int, ...]) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None  # a mapping's key waiting for its value
        self.key_marks: dict[str, Any] = {}  # key -> where it was first written


def _events(text: str) -> Iterator[Any]:
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    loader = loader_class(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _yaml_module_or_error(origin: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise DocumentError(
            f"{origin}: reading YAML needs PyYAML (pip install 'celprice[yaml]'), or use a .json file"
        ) from None
    return yaml


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def parse_yaml(text: str, origin: str) -> Any:
    """One YAML document as JSON-compatible values (see the module's docstring for the rules)."""
    yaml = _yaml_module_or_error(origin)
    try:
        return _build(_events(text), origin)
    except yaml.MarkedYAMLError as e:
        problem = e.problem or e.context or "not valid YAML"
        raise DocumentError(f"{origin}: invalid YAML: {_at(e.problem_mark)}{problem}") from None
    except yaml.YAMLError as e:
        raise DocumentError(f"{origin}: invalid YAML: {e}") from None


def _build(events: Iterator[Any], origin: str) -> Any:
    import yaml

    stack: list[_Frame] = []
    root: Any = None
    documents = 0

    def fail(event: Any, message: str) -> DocumentError:
        return DocumentError(f"{origin}: {_at(event.start_mark)}{message}")

    def add(event: Any, value: Any) -> tuple[str | int, ...]:
        """Put a value in its place; returns its path."""
        nonlocal root
        if not stack:
            root = value
            return ()
        top = stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
            return (*top.path, len(top.container) - 1)
        key = top.key
        assert key is not None
        top.container[key] = value
        top.key = None
        return (*top.path, key)

    def expecting_key() -> bool:
        return bool(stack) and isinstance(stack[-1].container, dict) and stack[-1].key is None

    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise fail(event, "a second YAML document (---); a file holds one")
        elif isinstance(event, yaml.AliasEvent):
            raise fail(event, f"YAML aliases (*{event.anchor}) are not supported; write the value out in full")
        elif isinstance(event, yaml.ScalarEvent):
            value = _scalar(event, origin)
            if expecting_key():
                top = stack[-1]
                if not isinstance(value, str):
                    raise fail(event, f"the key {event.value!r} is not a string; quote it ('{event.value}')")
                if value in top.key_marks:
                    first = top.key_marks[value]
                    raise fail(
                        event,
                        f"duplicate key {json.dumps(value, ensure_ascii=False)} in {_path(top.path)} "
                        f"(first at line {first.line + 1}; each key may appear once)",
                    )
                top.key_marks[value] = event.start_mark
                top.key = value
            else:
                add(event, value)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            mapping = isinstance(event, yaml.MappingStartEvent)
            kind = "map" if mapping else "seq"
            if event.tag not in (None, "!", f"{_TAG}{kind}"):
                raise fail(event, f"the tag {_short_tag(event.tag)} is not supported (JSON-compatible YAML only)")
            if expecting_key():
                raise fail(event, "a key must be a string, not a " + ("mapping" if mapping else "list"))
            if len(stack) >= MAX_DEPTH:
                raise fail(event, f"nested more than {MAX_DEPTH} levels deep")
            container: Any = {} if mapping else []
            stack.append(_Frame(container, add(event, container)))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
    return root


def _scalar(event: Any, origin: str) -> Any:
    text = event.value
    tag = event.tag
    where = _at(event.start_mark)
    if tag in (None, "!"):
        if tag is None and event.implicit[0]:  # plain (unquoted): typed by the core schema
            return _plain(text, origin, where)
        return text
    if tag not in _SCALAR_TAGS:
        raise DocumentError(f"{origin}: {where}the tag {_short_tag(tag)} is not supported (JSON-compatible YAML only)")
    if tag == f"{_TAG}str":
        return text
    value = _plain(text, origin, where)
    wanted = tag[len(_TAG):]
    actual = {type(None): "null", bool: "bool", int: "int", float: "float", str: "str"}[type(value)]
    if actual == wanted or (wanted == "float" and actual == "int"):
        return float(value) if wanted == "float" else value
    raise DocumentError(f"{origin}: {where}{text!r} is not a valid !!{wanted}")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _plain(text: str, origin: str, where: str) -> Any:
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _DECIMAL.match(text):
        return _int(text, origin, where)
    if _OCTAL.match(text) or _HEX.match(text):
        if len(text) - 2 > MAX_INT_DIGITS:
            return _int(text, origin, where)  # the same "too long" message
        return int(text[2:], 8 if text[1] == "o" else 16)
    if _FLOAT.match(text):
        return _float(text, origin, where)
    if _SPECIAL_FLOAT.match(text):
        raise DocumentError(f"{origin}: {where}{text} has no JSON equivalent (JSON numbers are finite)")
    return text

