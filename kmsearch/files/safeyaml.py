"""Load untrusted YAML safely: anchors and aliases refused, size and depth capped before any
value is built, and every loader error, whatever its Python type, a ``ValidationError``."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from ..errors import Problem, ValidationError
from ..limits import MAX_NESTING, MAX_YAML_NODES

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# What PyYAML's constructors raise besides YAMLError on values such as ``2019-13-01``,
# ``!!int 'abc'``, ``!!bool maybe``, ``0x_`` or an integer of more than 4,300 digits.
CONSTRUCT_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError,
                    RecursionError)


def load_yaml(text: str, source: str, offset: int = 1,
              what: str = "front matter") -> tuple[Any, yaml.Node | None]:
    """The value of one YAML document and its node; ``offset`` is the file line of its line 1.

    The events are checked first, without building anything: no anchor or alias, at most
    ``MAX_YAML_NODES`` values nested at most ``MAX_NESTING`` deep.
    """
    _check_events(text, source, offset, what)
    loader = _Loader(text)
    node = None
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, source, offset, what) from exc
    except CONSTRUCT_ERRORS as exc:
        raise _bad_value(node, source, offset, what, exc) from exc
    finally:
        loader.dispose()


def _check_events(text: str, source: str, offset: int, what: str) -> None:
    """Refuse anchors, aliases, too many values and too deep nesting, from the parse events."""
    loader = _Loader(text)
    depth = count = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.StreamEndEvent):
                break
            line = event.start_mark.line + offset if event.start_mark else offset
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _fail(source, f"YAML anchors and aliases (&name, *name) are not accepted in "
                            f"{what} (limit: none); write each value out in full", line)
            if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
                count += 1
                if count > MAX_YAML_NODES:
                    raise _fail(source, f"{what} holds more than {MAX_YAML_NODES:,} values "
                                f"(limit {MAX_YAML_NODES:,}); move long content to the body",
                                line)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    raise _fail(source, f"values nested more than {MAX_NESTING} levels deep in "
                                f"{what} (limit {MAX_NESTING})", line)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, source, offset, what) from exc
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.YAMLError, text: str, source: str, offset: int,
                what: str) -> ValidationError:
    """The problem of a YAML syntax error, on its line, with the fix where one is known."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        lines = text.splitlines()
        written = lines[mark.line] if mark and mark.line < len(lines) else ""
        return _fail(source, _yaml_message(exc, offset, what, written),
                     mark.line + offset if mark else None)
    if isinstance(exc, yaml.reader.ReaderError):
        message = (f"invalid character U+{exc.character:04X} in {what}: control characters "
                   "are not allowed; delete it (it may be invisible in your editor)")
        return _fail(source, message, text.count("\n", 0, exc.position) + offset)
    return _fail(source, " ".join(f"invalid YAML in {what}: {exc}".split()), offset)


def _bad_value(node: yaml.Node | None, source: str, offset: int, what: str,
               error: Exception) -> ValidationError:
    """The first scalar that cannot be built, with its line, or the error where none is found."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in reversed(current.value) for n in reversed(pair))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
        else:
            try:
                SafeConstructor().construct_object(current, deep=True)
            except CONSTRUCT_ERRORS as exc:
                kind = str(current.tag).rsplit(":", 1)[-1]
                reason = str(exc)[:120] or type(exc).__name__
                value = current.value if len(current.value) <= 40 else current.value[:39] + "…"
                message = (f"cannot read {value!r} as a YAML {kind} ({reason}); write a valid "
                           f"{kind}, or put the value in quotes to keep it as text")
                return _fail(source, message, current.start_mark.line + offset)
            except yaml.YAMLError:
                continue
    return _fail(source, f"invalid value in {what} ({type(error).__name__})", offset)


NEEDS_QUOTES = ("mapping values are not allowed", "cannot start any token")


def _yaml_message(exc: yaml.MarkedYAMLError, offset: int, what: str, written: str = "") -> str:
    """One line: what YAML found, and, where quoting the value is the fix, the line quoted."""
    problem = " ".join(str(exc.problem).split())
    message = f"invalid YAML in {what}: {problem}"
    key, colon, value = written.partition(":")
    if colon and value.strip() and any(text in problem for text in NEEDS_QUOTES):
        quoted = value.strip().replace("\\", "\\\\").replace('"', '\\"')
        return (f"{message}: a value containing \": \" or starting with @, ` or a similar sign "
                f"must be quoted; write  {key.strip()}: \"{quoted}\"")
    if exc.context and exc.context_mark:
        return f"{message} ({exc.context} from line {exc.context_mark.line + offset})"
    return f"{message} ({exc.context})" if exc.context else message


def _fail(source: str, message: str, line: int | None = None) -> ValidationError:
    return ValidationError([Problem(source, "", message, line)])
