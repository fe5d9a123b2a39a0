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


def load_app(target: str, app_dir: str) -> Any:
    """Import the app with `app_dir` first on sys.path; call the factory if the target is a call."""
    module_name, names, call = parse_target(target)
    sys.path.insert(0, app_dir)
    obj: Any = importlib.import_module(module_name)
    for name in names:
        obj = getattr(obj, name)
    if call is not None:
        args, kwargs = call
        obj = obj(*args, **kwargs)
    if not callable(obj):
        raise TypeError(f"{target} is a {type(obj).__name__}, not a WSGI or ASGI application")
    return obj


def is_asgi(app: Any) -> bool:
    """An ASGI app is a coroutine function of (scope, receive, send), or an object whose __call__ is one."""
    if inspect.iscoroutinefunction(app):
        return True
    call = inspect.getattr_static(type(app), "__call__", None) if not inspect.isroutine(app) else None
    return call is not None and inspect.iscoroutinefunction(call)


def interface_of(app: Any) -> str:
    return "asgi" if is_asgi(app) else "wsgi"
