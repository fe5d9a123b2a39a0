"""The app named by an import target: 'module:attribute', 'module:factory(literal, name=literal)', or a Django
project's 'mysite.wsgi:application'; and whether it is a WSGI or an ASGI app."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from typing import Any, Optional

Call = Optional[tuple[list[Any], dict[str, Any]]]


def parse_target(target: str) -> tuple[str, list[str], Call]:
    """'module:attr.sub' or 'module:factory(literal, name=literal)' -> (module, attribute path, args, kwargs).

    Raises ValueError with a plain reason; burstcheck's config validates the same way, by calling this.
    """
    module, sep, expression = target.partition(":")
    if not sep or not module or not expression:
        raise ValueError("use 'module:attribute' or 'module:factory()'")
    if not all(part.isidentifier() for part in module.split(".")):
        raise ValueError(f"{module!r} is not a module name")
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise ValueError(f"{expression!r} is not an attribute or a call") from None
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    is_call = isinstance(node, ast.Call)
    if isinstance(node, ast.Call):
        try:
            args = [ast.literal_eval(a) for a in node.args]
            if any(k.arg is None for k in node.keywords):
                raise ValueError
            kwargs = {str(k.arg): ast.literal_eval(k.value) for k in node.keywords}
        except ValueError:
            raise ValueError("a factory's arguments must be literals (strings, numbers, True/False/None)") from None
        node = node.func
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ValueError(f"{expression!r} is not an attribute or a call")
    names.insert(0, node.id)
    return module, names, (args, kwargs) if is_call else None


class TargetNotFound(Exception):
    """The module, attribute or factory the target names is not there, or the factory gave no app: the message
    is the whole story (a traceback through burstcheck's code would say nothing more)."""


class AppRaised(Exception):
    """The app's own code raised, importing its module or in its factory: the cause's traceback is worth
    showing, from the app's first frame."""


def load_app(target: str, app_dir: str) -> Any:
    """Import the app with `app_dir` first on sys.path; call the factory if the target is a call.

    Raises TargetNotFound (one line naming what is missing) or AppRaised (from the app's own exception)."""
    module_name, names, call = parse_target(target)
    sys.path.insert(0, app_dir)
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise AppRaised(f"could not import the app {target!r}: {_said(exc)}") from exc  # the app's own import
        raise TargetNotFound(
            f"could not import the app {target!r}: no module named {exc.name!r} in {app_dir} or on the app's sys.path"
        ) from None
    except BaseException as exc:
        raise AppRaised(f"could not import the app {target!r}: {_said(exc)}") from exc
    for position, name in enumerate(names):
        if not hasattr(obj, name):
            owner = module_name if position == 0 else f"{module_name}:{'.'.join(names[:position])}"
            kind = "module" if position == 0 else "object"
            raise TargetNotFound(f"could not import the app {target!r}: {kind} {owner!r} has no attribute {name!r}")
        obj = getattr(obj, name)
    if call is not None:
        factory = f"{module_name}:{'.'.join(names)}()"
        if not callable(obj):
            raise TargetNotFound(
                f"could not import the app {target!r}: {factory[:-2]} is a {type(obj).__name__}, not a factory"
            )
        args, kwargs = call
        try:
            obj = obj(*args, **kwargs)
        except BaseException as exc:
            raise AppRaised(f"the factory {factory} raised {_said(exc)}") from exc
        if obj is None:
            raise TargetNotFound(
                f"could not import the app {target!r}: the factory {factory} returned None, not an app"
                " (does it end with `return app`?)"
            )
    if not callable(obj):
        raise TargetNotFound(
            f"could not import the app {target!r}: it is a {type(obj).__name__}, not a WSGI or ASGI application"
        )
    return obj


def _said(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def is_asgi(app: Any) -> bool:
    """An ASGI app is a coroutine function of (scope, receive, send), or an object whose __call__ is one."""
    if inspect.iscoroutinefunction(app):
        return True
    call = inspect.getattr_static(type(app), "__call__", None) if not inspect.isroutine(app) else None
    return call is not None and inspect.iscoroutinefunction(call)


def interface_of(app: Any) -> str:
    return "asgi" if is_asgi(app) else "wsgi"
