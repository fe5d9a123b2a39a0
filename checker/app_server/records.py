"""Typed records across a process boundary: a record's JSON is read back into the same dataclass, with every
field present, of its declared type, and nothing else - so a change on one side fails loudly on the other."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

Record = TypeVar("Record")
# `float | None` is a types.UnionType on Python 3.10 and later; 3.9 spells every union with typing.Union.
_UNION_TYPES = tuple(t for t in (typing.Union, getattr(types, "UnionType", None)) if t is not None)


def _conforms(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in _UNION_TYPES:
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if hint is float:  # JSON writes 2.0 as 2.0 but a reader may get 2: an int is a float here
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is not None:  # dict[str, Any], list[str]: the container's type
        return isinstance(value, origin)
    return isinstance(value, hint)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """A dataclass's resolved field types, resolved once: that costs about 0.3 ms, and the burst client reads
    one record a request (a second's CPU for a burst of 2000 before they were kept)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def typed(cls: type[Record], data: Any) -> Record:
    """`cls(**data)` once `data` is checked to hold exactly `cls`'s fields, each of its declared type; a
    ValueError that names the field otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    known = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field {unknown[0]!r}")
    for name, field in known.items():
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        if name not in data:
            if required:
                raise ValueError(f"{cls.__name__}: missing field {name!r}")
            continue
        if not _conforms(data[name], hints[name]):
            raise ValueError(f"{cls.__name__}.{name}: {data[name]!r} is not {hints[name]}")
    return cls(**data)
