"""Registered pipeline components, each declaring what it reads and writes.

The idea comes from spaCy's components: a stage is a plain callable, and its
declaration lets the pipeline (and its tests) check that every field a stage
reads was written by an earlier one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Level = str  # "document" (called once per Document) or "case" (once per Case)


@dataclass(frozen=True)
class Component:
    name: str
    level: Level
    func: Callable[..., Any]
    reads: tuple[str, ...]
    writes: tuple[str, ...]


REGISTRY: dict[str, Component] = {}


def component(
    name: str, *, level: Level, reads: tuple[str, ...] = (), writes: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `func` as a pipeline stage. Document stages are called as
    func(case, document); case stages as func(case)."""

    if level not in ("document", "case"):
        raise ValueError(f"E001: component {name!r} has unknown level {level!r}")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"E002: component {name!r} is registered twice")
        REGISTRY[name] = Component(name, level, func, tuple(reads), tuple(writes))
        return func

    return register
