"""Read a YAML config into the validated model, with errors that name file, line and field path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from checker.config import Config
from checker.errors import ConfigError
from checker.interpreter import resolve

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
    return (base / config.app_dir).resolve() if config.app_dir else base


def _parse(path: Path) -> tuple[yaml.Node, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path} (pass a path: burstcheck run CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise _config_error(path, [(line, "", f"YAML syntax error: {problem}")]) from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise _config_error(path, [(1, "", "the config must be a YAML mapping (key: value lines)")])
    return root, data


def _config_error(path: Path, problems: list[tuple[int, str, str]]) -> ConfigError:
    ordered = sorted(problems)
    return ConfigError(
        _format(path, ordered),
        file=str(path),
        problems=tuple((line, f"{field}: {msg}" if field else msg) for line, field, msg in ordered),
    )


def _semantic_problems(config: Config, app_dir: Path, config_dir: Path) -> Iterable[tuple[Loc, str]]:
    """Checks across fields (and against the disk) that one model alone cannot see."""
    if config.app_dir is not None and not app_dir.is_dir():
        yield ("app_dir",), f"no such folder: {app_dir}"
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

    importing = [m.name for m in config.modes if m.server != "command"]
    if config.app is None and importing:
        yield ("app",), f"app is required by modes {', '.join(importing)}; only command modes run without it"


def _problem(root: yaml.Node, loc: Loc, msg: str, kind: str) -> tuple[int, str, str]:
    if kind == "union_tag_invalid":
        loc = (*loc, "server")
        msg = "unknown server; " + msg.split("expected tags: ", 1)[-1].join(("use one of: ", ""))
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


def _duplicate_keys(node: yaml.Node, path: str = "") -> Iterable[tuple[int, str, str]]:
    """PyYAML silently keeps the last of two equal keys; a config with both is almost surely a mistake."""
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name = f"{path}.{key.value}" if path else str(key.value)
            line = key.start_mark.line + 1
            if key.value in first:
                yield line, name, f"duplicate key (first given on line {first[key.value]})"
            first.setdefault(key.value, line)
            yield from _duplicate_keys(value, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, f"{path}[{index}]")


def _format(path: Path, problems: list[tuple[int, str, str]]) -> str:
    lines = [f"{path}:{line}: {field + ': ' if field else ''}{msg}" for line, field, msg in problems]
    head = f"invalid config {path}" + (f" ({len(lines)} problems)" if len(lines) > 1 else "")
    return "\n  ".join([head, *lines])
