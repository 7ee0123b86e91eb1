"""Immutable records for what every command builds as it starts (the criteria model, the profile, the
field table, the queries): named tuples whose fields are declared once, as class annotations with
their defaults, as for a frozen dataclass::

    @record
    class Atom:
        iri: str
        field: str
        min: float | None = None

        def status(self, value): ...

Why not dataclasses: a dataclass generates and compiles the code of its methods each time its module
is imported, about 1 ms a class, and importing the dataclasses module (with inspect) costs 7 ms more;
the classes that `rnetkg compare` loads made a sixth of its cold start. A named tuple is built from one
small function, and creates and hashes its instances in half a frozen dataclass's time. Modules that
only some commands load keep their dataclasses.

What differs from a frozen dataclass: a record is a tuple (it iterates, indexes, equals a tuple of the
same values, and ``isinstance(r, tuple)`` holds: an encoder tests ``is_record`` first). A default must
be immutable (a mutable default would be shared by every record): ``record`` refuses a list, dict or
set. A mixin base class must declare ``__slots__ = ()``, or records would take attributes.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

_MUTABLE = (list, dict, set)


def record(cls: type) -> type:
    """``cls`` as a record: its annotated names are the fields, in order; a class attribute of the same
    name is that field's default; its methods, properties and other attributes stay."""
    names = list(cls.__dict__.get("__annotations__", {}))
    defaults = [cls.__dict__[n] for n in names if n in cls.__dict__]
    if names[len(names) - len(defaults):] != [n for n in names if n in cls.__dict__]:
        raise TypeError(f"{cls.__name__}: a field without a default follows one with a default")
    for n, d in zip(names[len(names) - len(defaults):], defaults):
        if isinstance(d, _MUTABLE):
            raise TypeError(f"{cls.__name__}.{n}: a default must be immutable, not {type(d).__name__}")
    return make_record(cls.__name__, names, defaults, bases=tuple(b for b in cls.__bases__ if b is not object),
                       namespace={k: v for k, v in cls.__dict__.items()
                                  if k not in names and k not in ("__dict__", "__weakref__", "__annotations__")},
                       module=cls.__module__, qualname=cls.__qualname__)


def make_record(name: str, names: list[str], defaults: list[Any], *, bases: tuple[type, ...] = (),
                namespace: dict[str, Any] | None = None, module: str | None = None,
                qualname: str | None = None) -> type:
    """A record class of these fields (the last ``len(defaults)`` with these defaults), built from a
    field table rather than a class statement (as dataclasses.make_dataclass)."""
    base = namedtuple(name, names, defaults=defaults, module=module)
    ns = {**(namespace or {}), "__slots__": (), "__record_fields__": tuple(names)}
    if module:
        ns["__module__"] = module
    cls = type(name, (base, *bases), ns)
    cls.__qualname__ = qualname or name
    return cls


def is_record(x: Any) -> bool:
    """A record (an instance, not the class), or an object that lists its fields as one does
    (``__record_fields__``: the criteria model, which is mutable)."""
    return hasattr(type(x), "__record_fields__") and not isinstance(x, type)


def fields(x: Any) -> tuple[str, ...]:
    """The field names of a record or record class, in order."""
    return (x if isinstance(x, type) else type(x)).__record_fields__


def replace(x: Any, **changes: Any) -> Any:
    """A copy of a record with some fields changed (dataclasses.replace)."""
    unknown = set(changes) - set(fields(x))
    if unknown:
        raise TypeError(f"{type(x).__name__} has no field {sorted(unknown)[0]!r}")
    return x._replace(**changes)


def as_dict(x: Any) -> dict[str, Any]:
    """A record's fields as a dict (not recursive)."""
    return {n: getattr(x, n) for n in fields(x)}
