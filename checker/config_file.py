"""Read a YAML config into the validated model, with errors that name file, line and field path."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from checker.config import ASGI_SERVERS, Config
from checker.errors import ConfigError
from checker.interpreter import resolve
from checker.text import one_line

Loc = Sequence[str | int]

# A config is a few kilobytes; these bounds stop a hostile or broken file (an alias bomb, a 5000-level
# nesting) long before parsing it costs time or Python's recursion limit. None of them binds a real config.
MAX_CONFIG_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_NODES = 100_000  # counted with aliases expanded, as validation would walk them


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's sexagesimal numbers: `requests: 1:30` must not read as 90."""


_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith((":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    path: Path
    root: yaml.Node

    @property
    def app_dir(self) -> Path:
        return resolve_app_dir(self.config, self.path)

    def line_of(self, loc: Loc) -> int:
        """1-based line of the key at `loc` (or of the nearest enclosing one)."""
        return _locate(self.root, loc)[0]


def load_config(path: Path) -> LoadedConfig:
    root, data = _parse(path)
    problems = list(_duplicate_keys(root))
    if not problems:
        try:
            config = Config.model_validate(data)
        except ValidationError as exc:
            problems = [_problem(root, err["loc"], err["msg"], err["type"]) for err in exc.errors()]
        else:
            checks = _semantic_problems(config, resolve_app_dir(config, path), path.resolve().parent)
            problems = [_problem(root, loc, msg, "") for loc, msg in checks]
            if not problems:
                return LoadedConfig(config=config, path=path, root=root)
    raise _config_error(path, problems)


def resolve_app_dir(config: Config, config_path: Path) -> Path:
    """Where the app is imported from: `app_dir`, relative to the config file's folder."""
    base = config_path.resolve().parent
    return Path(os.path.abspath(base / config.app_dir)) if config.app_dir else base


def _parse(path: Path) -> tuple[yaml.Node, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(one_line(f"config file not found: {path} (pass a path: burstcheck run CONFIG)")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(one_line(f"cannot read config file {path}: {exc}")) from None
    if len(text) > MAX_CONFIG_BYTES:
        raise _config_error(path, [(1, "", f"the config is larger than {MAX_CONFIG_BYTES} bytes")])
    try:
        _check_shape(text)
        root = yaml.compose(text, Loader=_ConfigLoader)
        if isinstance(root, yaml.Node):
            _check_size(root)
        data = yaml.load(text, Loader=_ConfigLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise _config_error(path, [(line, "", f"YAML syntax error: {problem}")]) from None
    except _ShapeError as exc:
        raise _config_error(path, [(exc.line, "", str(exc))]) from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise _config_error(path, [(1, "", "the config must be a YAML mapping (key: value lines)")])
    return root, data


class _ShapeError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _check_shape(text: str) -> None:
    """Before composing (which recurses): nesting depth, and aliases that refer to their own anchor."""
    depth = 0
    open_anchors: list[str | None] = []
    for event in yaml.parse(text, Loader=_ConfigLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _ShapeError(f"nested more than {MAX_DEPTH} levels deep", line)
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            raise _ShapeError(f"the alias *{event.anchor} refers to a collection that contains it", line)


def _check_size(root: yaml.Node) -> None:
    """Nodes counted with aliases expanded (each shared node counted once per use, memoized)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        sizes[id(node)] = total
        return total

    if size(root) > MAX_NODES:
        raise _ShapeError(f"the config expands to more than {MAX_NODES} values (through aliases)", 1)


def _config_error(path: Path, problems: list[tuple[int, str, str]]) -> ConfigError:
    ordered = sorted(problems)
    return ConfigError(
        _format(path, ordered),
        file=str(path),
        problems=tuple((line, f"{field}: {msg}" if field else msg) for line, field, msg in ordered),
    )


def _semantic_problems(config: Config, app_dir: Path, config_dir: Path) -> Iterable[tuple[Loc, str]]:
    """Checks across fields (and against the disk) that one model alone cannot see."""
    if config.app_dir is not None:
        try:
            if not app_dir.is_dir():
                yield ("app_dir",), f"no such folder: {app_dir}"
            elif not os.access(app_dir, os.R_OK | os.X_OK):
                yield ("app_dir",), f"cannot read the folder {app_dir} (permission denied)"
        except OSError as exc:
            yield ("app_dir",), f"cannot use this folder: {exc.strerror or exc}"
    pythons: list[tuple[Loc, str | None]] = [(("python",), config.python)]
    pythons += [(("modes", i, "python"), m.python) for i, m in enumerate(config.modes)]
    for loc, value in pythons:
        if value is not None:
            try:
                resolve(value, config_dir, "python")
            except ConfigError as exc:
                yield loc, str(exc).removeprefix("python: ")
    seen: dict[str, int] = {}
    for index, mode in enumerate(config.modes):
        if mode.name in seen:
            yield ("modes", index, "name"), f"mode name {mode.name!r} is already used by modes[{seen[mode.name]}]"
        seen.setdefault(mode.name, index)
        low, _ = mode.expect.bounds(config.burst.requests)
        if mode.expect.min_concurrency is not None and low is not None and low > config.burst.requests:
            yield (
                ("modes", index, "expect", "min_concurrency"),
                f"min_concurrency {low:g} is more than burst.requests ({config.burst.requests}): it can never pass",
            )

    yield from _interface_problems(config)
    importing = [m.name for m in config.modes if m.server != "command"]
    if config.app is None and importing:
        yield ("app",), f"app is required by modes {', '.join(importing)}; only command modes run without it"


def _interface_problems(config: Config) -> Iterable[tuple[Loc, str]]:
    """One app is one interface: every mode that imports it must serve that interface."""
    served = [(i, m) for i, m in enumerate(config.modes) if m.server != "command"]
    kinds = {i: ("asgi" if m.server in ASGI_SERVERS else "wsgi") for i, m in served}
    interface = config.interface or (kinds[served[0][0]] if served else "")
    for index, mode in served:
        if kinds[index] != interface:
            which = "the config's interface" if config.interface else f"modes[{served[0][0]}]"
            servers = "uvicorn or hypercorn" if interface == "asgi" else "werkzeug, gunicorn or waitress"
            yield (
                ("modes", index, "server"),
                f"{mode.server} serves {kinds[index].upper()} apps, but the app is {interface.upper()} ({which}):"
                f" use {servers}",
            )


def _problem(root: yaml.Node, loc: Loc, msg: str, kind: str) -> tuple[int, str, str]:
    if kind == "union_tag_invalid":
        loc = (*loc, "server")
        msg = "unknown server; " + msg.split("expected tags: ", 1)[-1].join(("use one of: ", ""))
    if kind == "union_tag_not_found":
        msg = "each mode is a mapping with name, server and expect"
    if kind == "extra_forbidden":
        msg = "unknown key (check its spelling and indentation)"
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    line, path = _locate(root, loc)
    return line, path, msg


def _locate(root: yaml.Node, loc: Loc) -> tuple[int, str]:
    """Follow `loc` through the YAML nodes: the line of the deepest key found, and the field path.

    Parts not in the YAML are pydantic's union tags (skipped), or, at the end, a missing field (kept).
    """
    node, line, names = root, root.start_mark.line + 1, []
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is not None:
                line, node = match[0].start_mark.line + 1, match[1]
                names.append(part)
            elif last:
                names.append(part)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
            names.append(f"[{part}]")
    return line, ".".join(names).replace(".[", "[")


def _duplicate_keys(root: yaml.Node) -> Iterable[tuple[int, str, str]]:
    """PyYAML silently keeps the last of two equal keys; a config with both is almost surely a mistake.

    Each node is visited once: an aliased node is the same object wherever it is used."""
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, str]] = [(root, "")]
    while pending:
        node, path = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = f"{path}.{key.value}" if path else str(key.value)
                line = key.start_mark.line + 1
                if key.value in first:
                    yield line, name, f"duplicate key (first given on line {first[key.value]})"
                first.setdefault(key.value, line)
                pending.append((value, name))
        elif isinstance(node, yaml.SequenceNode):
            pending += [(item, f"{path}[{index}]") for index, item in enumerate(node.value)]


def _format(path: Path, problems: list[tuple[int, str, str]]) -> str:
    # Each problem is one line whatever a value or the path holds: a newline in either cannot forge a line.
    lines = [one_line(f"{path}:{line}: {field + ': ' if field else ''}{msg}") for line, field, msg in problems]
    head = one_line(f"invalid config {path}") + (f" ({len(lines)} problems)" if len(lines) > 1 else "")
    return "\n  ".join([head, *lines])
