"""The warning rules (预警规则): a registry of definitions in code. Each rule reads the existing query functions of
the app that owns the data, takes its numbers from the rulebook, and returns `Hit`s with the evidence (ids and
figures) that prove them. The definitions live in rule_definitions.py, one section per app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dangjian.core import rulebook

from .choices import Level


@dataclass(frozen=True)
class Hit:
    org_id: int
    level: str
    message: str
    evidence: dict
    member_id: int | None = None
    detail_key: str = ""  # distinguishes several findings of one rule on one subject (rarely needed)


@dataclass
class WarningRule:
    code: str
    name: str
    citation_key: str  # a rulebook CITATIONS key
    subject: str
    parameters: tuple[str, ...]  # the rulebook keys the rule reads
    levels: tuple[str, ...]
    evaluate_fn: object = field(repr=False, default=None)
    description: str = ""

    @property
    def citation(self) -> str:
        return rulebook.citation(self.citation_key)

    def parameter_values(self, on: dt.date) -> dict:
        return {name: rulebook.value(name, on) for name in self.parameters}

    def evaluate(self, on: dt.date, shared: dict | None = None) -> list[Hit]:
        """Every hit of the rule on `on`; `shared` carries work several rules reuse within one run."""
        return list(self.evaluate_fn(self, on, {} if shared is None else shared))


REGISTRY: dict[str, WarningRule] = {}


def register(code, name, citation_key, subject, parameters=(), levels=(Level.YELLOW, Level.RED), description=""):
    def wrap(fn):
        REGISTRY[code] = WarningRule(code, name, citation_key, subject, tuple(parameters), tuple(levels), fn,
                                     description)
        return fn
    return wrap


def rule_choices():
    return [(code, rule.name) for code, rule in REGISTRY.items()]


# Importing the definitions fills the registry.
from . import rule_definitions  # noqa: E402,F401
