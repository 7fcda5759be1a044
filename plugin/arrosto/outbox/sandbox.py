"""The sandbox owners' templates (reply and promotion templates) render in, with the work of one
render bounded.

Jinja's own sandbox stops attribute games and caps one ``range`` at 100,000 items, but not
nesting: two such loops are ten billion steps, and a C-level string or list operation cannot be
interrupted by a timer. So every render here gets a budget that the template itself spends:

- each ``{% for %}`` iteration, call, filter and operator is a step, and so is each character or
  item it is handed or makes (``MAX_WORK`` steps in all; the wall clock, ``MAX_SECONDS``, is
  checked at every step as a last guard);
- no operation may make a value larger than ``MAX_VALUE`` characters or items, and one whose
  arguments say it could make more than ``MAX_STEP`` is refused before it runs (``'x' * 10**9``,
  ``'%*s' % (10**9, x)``, ``s.center(10**9)``, ``range(10)|join('x' * 5000)``…);
- the output stops at ``MAX_OUTPUT`` characters, the template source at ``MAX_TEMPLATE``.

Loops are counted by rewriting the parsed template: the iterable of every ``{% for %}`` is wrapped
in a counting iterator, every ``~`` and every list, tuple or dict literal goes through a size check.
Going over a bound raises :class:`RenderLimit`, which says which bound.
"""
from __future__ import annotations

import contextvars
import dataclasses
import functools
import re
import string
import time
import types
from collections.abc import Iterator
from typing import Any

from jinja2 import StrictUndefined, Undefined, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

MAX_TEMPLATE = 10_000   # characters of one template's source
MAX_OUTPUT = 5_000      # characters one render may make: far beyond any post or message
MAX_VALUE = 10_000      # characters or items in any one value a template builds
MAX_STEP = 1_000_000    # what one operation may be asked to make, before it runs
MAX_WORK = 100_000      # steps in one render: loop iterations, calls, characters handled
MAX_SECONDS = 2.0       # wall time of one render, checked at every step
MAX_INT_BITS = 4_096    # integers a template may compute (10**1233)


class RenderLimit(SecurityError):
    """A render went over a bound: ``limit`` is "work", "time", "value", "output" or
    "template", ``most`` the bound."""

    def __init__(self, limit: str, most: float) -> None:
        self.limit, self.most = limit, most
        what = {"work": f"more than {most:,} steps (loop iterations, filters and calls)",
                "time": f"more than {most:g} seconds",
                "value": f"a value larger than {most:,} characters or items",
                "output": f"more than {most:,} characters",
                "template": f"a template longer than {most:,} characters"}[limit]
        super().__init__(f"the template is refused: it makes {what}")


@dataclasses.dataclass
class _Budget:
    deadline: float
    used: int = 0
    over: RenderLimit | None = None

    def charge(self, steps: int) -> None:
        self.used += steps
        if self.over is None:
            if self.used > MAX_WORK:
                self.over = RenderLimit("work", MAX_WORK)
            elif time.monotonic() > self.deadline:
                self.over = RenderLimit("time", MAX_SECONDS)
        if self.over is not None:  # raised again at each step: a swallowed one is not lost
            raise RenderLimit(self.over.limit, self.over.most)


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "arrosto_template_budget", default=None)


def _charge(steps: int = 1) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.charge(steps)


def _refuse(limit: str, most: float) -> RenderLimit:
    budget = _budget.get()
    error = RenderLimit(limit, most)
    if budget is not None and budget.over is None:
        budget.over = error
    return error


def size(value: Any, most: int = MAX_VALUE) -> int:
    """Characters and items in ``value``, nested containers counted as often as they appear
    (their text does); stops counting once past ``most``, so it costs at most that."""
    total, stack = 0, [value]
    while stack and total <= most:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray, range)):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            if total <= most:
                stack.extend(item)
        elif isinstance(item, dict) or type(item) is Namespace:
            mapping = object.__getattribute__(item, "_Namespace__attrs") \
                if type(item) is Namespace else item
            total += len(mapping)
            if total <= most:
                stack.extend(mapping.keys())
                stack.extend(mapping.values())
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1  # about its digits
        else:
            total += 1
    return total


def _checked(value: Any) -> Any:
    """A value a template made: refused when too large, else its size is spent."""
    n = size(value)
    if n > MAX_VALUE:
        raise _refuse("value", MAX_VALUE)
    _charge(n)
    return value


class _Counted:
    """A loop's iterable: one step per item (keeps ``len`` for ``loop.length``)."""

    def __init__(self, iterable: Any) -> None:
        self._length = len(iterable) if isinstance(
            iterable, (str, bytes, list, tuple, dict, set, frozenset, range)) else None
        self._items = iter(iterable)

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("no length")
        return self._length

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> Any:
        _charge(1)
        return next(self._items)


def _each_counted(items: Iterator[Any]) -> Iterator[Any]:
    for item in items:
        _charge(1 + size(item, MAX_WORK))
        yield item


def _result(value: Any) -> Any:
    """What a call or filter returned: a lazy sequence is counted as it is read, a range is
    left to the loop that reads it, anything else must fit ``MAX_VALUE``."""
    if isinstance(value, range):
        return value
    if isinstance(value, (types.GeneratorType, Iterator)) and not isinstance(value, _Counted):
        return _each_counted(value)
    return _checked(value)


# --- what an operation could make, before it runs ------------------------------------------------

_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _numbers(values: Any) -> list[int]:
    items = values.values() if isinstance(values, dict) else \
        values if isinstance(values, (list, tuple)) else [values]
    return [abs(v) for v in items if isinstance(v, int) and not isinstance(v, bool)]


def _printf_check(template: str, values: Any) -> None:
    """``'%s' % x`` and the ``format`` filter: widths are written in the template or taken
    from the values (``*``)."""
    widths = 0
    for width, precision in _PRINTF.findall(template):
        for n in (width, precision):
            if n == "*":
                widths += sum(_numbers(values))
            elif n and int(n) > MAX_VALUE:
                raise _refuse("value", MAX_VALUE)
    _estimate(template, [values], widths=widths)


def _format_check(template: str, args: tuple, kwargs: dict) -> None:
    """``'{:>9}'.format(x)``: widths in the fields, or nested fields taking them from values."""
    widths = 0
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format raises the same error itself
    for _literal, _name, spec, _conversion in fields:
        if not spec:
            continue
        if any(int(n) > MAX_VALUE for n in re.findall(r"\d+", spec)):
            raise _refuse("value", MAX_VALUE)
        if "{" in spec:
            widths += sum(_numbers(list(args))) + sum(_numbers(kwargs))
    _estimate(template, [*args, *kwargs.values()], widths=widths)


# filters and methods whose number argument multiplies what they make (per line, per tab)
_MULTIPLYING = frozenset({"indent", "tojson", "expandtabs"})


def _estimate(subject: Any, others: list[Any], *, widths: int = 0, times: int = 0) -> None:
    """An upper bound of what an operation on ``subject`` with ``others`` makes — about its
    size times theirs, plus the widths it is given — refused past ``MAX_STEP``."""
    bound = (size(subject, MAX_STEP) + 1) * (1 + sum(size(o, MAX_STEP) for o in others)
                                             + times) + widths
    if bound > MAX_STEP:
        raise _refuse("value", MAX_VALUE)


def _estimate_call(name: str, subject: Any, others: list[Any]) -> None:
    numbers = sum(_numbers(others))
    if name in _MULTIPLYING:
        _estimate(subject, others, times=numbers)
    else:
        _estimate(subject, others, widths=numbers)


def _spend_arguments(values: Any) -> None:
    _charge(1 + sum(size(v, MAX_WORK) for v in values))


def _bounded_filter(name: str, fn: Any) -> Any:
    """A builtin filter with its arguments checked and spent, and its result checked."""
    lead = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        values = args[lead:]
        _spend_arguments([*values, *kwargs.values()])
        if values:
            if name == "format" and isinstance(values[0], str):
                _printf_check(values[0], kwargs or tuple(values[1:]))
            else:
                _estimate_call(name, values[0], [*values[1:], *kwargs.values()])
        return _result(fn(*args, **kwargs))

    return run


# --- the environment ------------------------------------------------------------------------------

_LOOP, _VALUE, _CONCAT = "arrosto_counted", "arrosto_checked", "arrosto_concat"


class _Bound(NodeTransformer):
    """Rewrites a parsed template so its loops count and the values it writes out are
    checked."""

    @staticmethod
    def _wrap(node: nodes.Expr, name: str) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = self._wrap(node.iter, _LOOP)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._wrap(nodes.Tuple(node.nodes, "load", lineno=node.lineno), _CONCAT)

    def _literal(self, node: nodes.Expr) -> nodes.Node:
        self.generic_visit(node)
        return self._wrap(node, _VALUE)

    visit_List = visit_Dict = _literal

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        return self._literal(node) if node.ctx == "load" else self.generic_visit(node)


@pass_context
def _counted(context: Any, iterable: Any) -> _Counted:
    return _Counted(iterable)


@pass_context
def _checked_literal(context: Any, value: Any) -> Any:
    return _checked(value)


@pass_context
def _concat(context: Any, parts: tuple) -> str:
    if sum(size(p) for p in parts) > MAX_VALUE:
        raise _refuse("value", MAX_VALUE)
    return _checked("".join(map(str, parts)))


def printable(value: Any) -> Any:
    """What ``{{ … }}`` may print: values, never a function, a class or one of Jinja's own
    objects (``{{ cycler }}``, ``{{ shop_name.upper }}``): their repr shows Python's insides
    and has no place in a reply."""
    if isinstance(value, Undefined):
        return value  # printing it raises Jinja's own "'x' is undefined", which the admin reads
    if callable(value) or isinstance(value, (type, _Counted)) or \
            type(value).__module__.split(".")[0] == "jinja2":
        raise SecurityError(f"a template printed a {type(value).__name__}, not a value")
    return _checked(value)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox (no attribute games, no changing lists and dicts in place, bounded
    ranges) with the work, values and output of a render bounded (see the module)."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/", "-"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # lipsum(n=10**9): text no reply needs
        self.filters = {name: _bounded_filter(name, fn) for name, fn in self.filters.items()}
        self.filters.update({_LOOP: _counted, _VALUE: _checked_literal, _CONCAT: _concat})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _Bound().visit(super()._parse(source, name, filename))

    def call_binop(self, context, operator, left, right):
        _spend_arguments((left, right))
        ints = [isinstance(v, int) and not isinstance(v, bool) for v in (left, right)]
        if operator == "**" and all(ints) and right > 0 and \
                max(abs(left).bit_length(), 1) * right > MAX_INT_BITS:
            raise _refuse("value", MAX_VALUE)
        if operator == "*":
            if all(ints) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise _refuse("value", MAX_VALUE)
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int) and \
                        size(seq) * times > MAX_VALUE:
                    raise _refuse("value", MAX_VALUE)
        if operator == "+" and not any(ints) and size(left) + size(right) > MAX_VALUE:
            raise _refuse("value", MAX_VALUE)
        if operator == "%" and isinstance(left, str):
            _printf_check(left, right)
        return _result(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        values = [*args, *(v for k, v in kwargs.items() if k not in ("_loop_vars",
                                                                      "_block_vars"))]
        _spend_arguments(values)
        method = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by Jinja
        subject = getattr(method, "__self__", None) \
            if isinstance(method, (types.BuiltinMethodType, types.MethodWrapperType)) else None
        if isinstance(subject, str) and method.__name__ in ("format", "format_map"):
            mapping = (args[0] if args and isinstance(args[0], dict) else {}) \
                if method.__name__ == "format_map" else kwargs
            _format_check(subject, args if method.__name__ == "format" else (), mapping)
        elif subject is not None:  # a builtin method: str.replace, str.join, int.to_bytes…
            _estimate_call(method.__name__, subject, values)
        if isinstance(__obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (_Counted(args[0]), *args[1:])
        return _result(super().call(__context, __obj, *args, **kwargs))


_env = BoundedSandbox(autoescape=False, undefined=StrictUndefined, trim_blocks=True,
                      finalize=printable)


def render(template: str, context: dict[str, Any]) -> str:
    """Render an owner's template within the bounds; raise :class:`RenderLimit` past one, or
    Jinja's own errors."""
    if len(template) > MAX_TEMPLATE:
        raise RenderLimit("template", MAX_TEMPLATE)
    budget = _Budget(deadline=time.monotonic() + MAX_SECONDS)
    token = _budget.set(budget)
    try:
        stream = _env.from_string(template).generate(**context)
        parts, made = [], 0
        try:
            for part in stream:
                made += len(part)
                if made > MAX_OUTPUT:
                    raise RenderLimit("output", MAX_OUTPUT)
                parts.append(part)
        finally:
            stream.close()
        if budget.over is not None:  # a limit some code inside swallowed is still a limit
            raise RenderLimit(budget.over.limit, budget.over.most)
        return "".join(parts)
    finally:
        _budget.reset(token)
