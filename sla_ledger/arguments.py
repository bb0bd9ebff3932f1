"""Checking the types of the arguments of ``SlaLedger``'s public methods, where they come in.

``@checked`` reads a method's annotations and refuses an argument of another
type with ``InvalidArgument`` naming the method, the argument and the value,
before the method runs: a list where a contract id belongs never reaches a
dictionary lookup deep inside as a ``TypeError``. Values of the right type are
left to the method's own checks (an unknown id, a naive datetime, an empty window).
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from sla_ledger.exceptions import InvalidArgument

F = TypeVar("F", bound=Callable[..., Any])
Check = Callable[[Any], bool]

SHOWN = 80  # characters of a value shown in a message: a huge string is cut


def checked(method: F) -> F:
    """Refuse arguments of another type than ``method``'s annotations name."""
    signature = inspect.signature(method)
    checks: dict[str, tuple[Check, str]] | None = None

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal checks
        if checks is None:  # annotations name classes defined after the method
            checks = _checks(method, signature)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise InvalidArgument(f"{method.__name__}(): {error}") from None
        for name, value in bound.arguments.items():
            check = checks.get(name)
            if check is not None and not check[0](value):
                raise InvalidArgument(
                    f"{method.__name__}(): {name} must be {check[1]}, got {shown(value)}"
                )
        return method(*args, **kwargs)

    return cast(F, wrapper)


def shown(value: object) -> str:
    """``repr(value)``, cut to ``SHOWN`` characters."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 3]}..."


def _checks(
    method: Callable[..., Any], signature: inspect.Signature
) -> dict[str, tuple[Check, str]]:
    hints = typing.get_type_hints(method)
    return {
        name: _check(hints[name])
        for name in signature.parameters
        if name != "self" and name in hints
    }


def _check(hint: Any) -> tuple[Check, str]:
    """A test of a value against a type hint, and the hint in words."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [_check(arg) for arg in args]
        return (lambda v: any(test(v) for test, _ in parts)), " or ".join(w for _, w in parts)
    if hint is type(None):
        return (lambda v: v is None), "None"
    if hint is int:
        return (lambda v: isinstance(v, int) and not isinstance(v, bool)), "an int"
    if origin is tuple and args and args[-1] is not Ellipsis:
        items = [_check(arg) for arg in args]
        words = f"a tuple ({', '.join(w for _, w in items)})"
        return (
            lambda v: (
                isinstance(v, tuple)
                and len(v) == len(items)
                and all(test(x) for (test, _), x in zip(items, v, strict=True))
            )
        ), words
    if origin in (Sequence, list, tuple) and args:
        # A set, range or generator of ids serves as well: the method makes a tuple of it.
        # Items are checked where they can be without consuming an iterator.
        item, words = _check(args[0])
        return (
            lambda v: _many(v) and (not isinstance(v, list | tuple) or all(item(x) for x in v))
        ), f"a list (each {words})"
    if origin is Iterable:
        return _many, "an iterable"
    if origin is not None and callable(origin) and inspect.isclass(origin):
        return (lambda v: isinstance(v, origin)), f"a {origin.__name__}"
    if inspect.isclass(hint):
        return (lambda v: isinstance(v, hint)), f"a {hint.__name__}"
    return (lambda v: True), "anything"


def _many(value: object) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes)
