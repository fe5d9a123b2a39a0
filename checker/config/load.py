"""Read a YAML config into the validated model, with errors that name file, line and field path."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from checker.config.interpreter import resolve
from checker.config.model import Config
from checker.config.servers import either, servers_of
from checker.config.yaml_guard import MAX_CONFIG_BYTES, YamlProblem, duplicate_keys, parse
from checker.errors import ConfigError, DeadlinePassed
from checker.safe_files import read_bounded
from checker.safe_text import one_line

Loc = Sequence[str | int]


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


def load_config(path: Path, timeout_s: float | None = None) -> LoadedConfig:
    """The config at `path`, validated; ConfigError naming file, line and field. Reading it takes at most
    `timeout_s` (what is left of the run's deadline): DeadlinePassed past it (a FIFO that nobody writes to)."""
    root, data = _parse(path, timeout_s)
    problems = list(duplicate_keys(root))
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


def _parse(path: Path, timeout_s: float | None) -> tuple[yaml.MappingNode, dict[str, object]]:
    try:
        # One byte past the limit is enough to know the file is over it (/dev/zero never ends).
        data = read_bounded(path, MAX_CONFIG_BYTES + 1, timeout_s)
        # As a text file is read: universal newlines.
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise ConfigError(one_line(f"config file not found: {path} (pass a path: burstcheck run CONFIG)")) from None
    except TimeoutError:
        raise DeadlinePassed(one_line(f"the run's deadline passed while reading the config {path}")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(one_line(f"cannot read config file {path}: {exc}")) from None
    try:
        return parse(text)
    except YamlProblem as exc:
        raise _config_error(path, [(exc.line, "", str(exc))]) from None


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
    importing = [m.name for m in config.modes if m.interface is not None]
    if config.app is None and importing:
        yield ("app",), f"app is required by modes {', '.join(importing)}; only command modes run without it"


def _interface_problems(config: Config) -> Iterable[tuple[Loc, str]]:
    """One app is one interface: every mode that imports it must serve that interface."""
    served = [(i, m) for i, m in enumerate(config.modes) if m.interface is not None]
    interface = config.interface or (served[0][1].interface if served else None)
    for index, mode in served:
        if interface is not None and mode.interface != interface:
            which = "the config's interface" if config.interface else f"modes[{served[0][0]}]"
            yield (
                ("modes", index, "server"),
                f"{mode.server} serves {str(mode.interface).upper()} apps, but the app is {interface.upper()}"
                f" ({which}): use {either(servers_of(interface))}",
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


def _format(path: Path, problems: list[tuple[int, str, str]]) -> str:
    # Each problem is one line whatever a value or the path holds: a newline in either cannot forge a line.
    lines = [one_line(f"{path}:{line}: {field + ': ' if field else ''}{msg}") for line, field, msg in problems]
    head = one_line(f"invalid config {path}") + (f" ({len(lines)} problems)" if len(lines) > 1 else "")
    return "\n  ".join([head, *lines])
