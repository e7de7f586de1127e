"""Severity classification: the playbook's decision tree as data, and a pure evaluator.

The default tree (:func:`default_tree`) is the seed playbook's "Incident Severity Decision
Tree", asked in its order; the first question answered yes decides:

1. platform down → P0
2. critical feature completely unavailable → multiple users affected? P0 : P1
3. significant performance degradation: TPS < 500K → P0, TPS < 700K → P1, latency > 5 s → P1,
   error rate > 5 % → P1
4. security: active breach → P0, potential breach → P1
5. user complaints: multiple → P1, few → P2
6. otherwise "P2 or P3 based on impact": error rate ≥ 1 %, latency > 1 s or several users
   affected → P2, else P3 — each raised to the source's own severity when that is more severe
   (a :class:`Baseline` leaf).

The seed's severity-level pages disagree with its tree on TPS (they list "< 500K" under P1 and
"< 700K" under P2); the tree is the more specific rule and is followed, and the thresholds are
data (:class:`Thresholds`) a playbook can change. A playbook can also build its own tree from
:class:`Question`, :class:`Branch`, :class:`Condition`, :class:`Outcome` and :class:`Baseline`.

**Unknown signals answer "no"**: the tree escalates on evidence only. **Error rate is a
fraction** (0.05 is 5 %) everywhere in code; labels may say ``7.2%``.

**Source severity mapping** (:func:`source_severity`), used by :class:`Baseline` leaves only:

- ``critical``, ``high`` → P1: one alert rule cannot establish a P0 on its own;
- ``error`` → P2 (PagerDuty's default, and what Alertmanager's PagerDuty receiver sends);
- ``warning``, ``info``, ``low`` → P3;
- Opsgenie priorities by meaning, not by number: ``P1`` (Critical) and ``P2`` (High) → P1,
  ``P3`` (Moderate, its default) → P2, ``P4`` (Low) and ``P5`` (Informational) → P3;
- ``P0``..``P3`` from any other format → as is: a sender that already speaks firebell's scale
  (e.g. an Alertmanager rule labelled ``severity="P0"``) is taken at its word;
- anything else → no opinion (the leaf's own severity).

So a vendor's severity word never yields P0: "entire platform down" and "active breach" come
from the tree's signals, a firebell-native label, or a routing rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal, get_args

from firebell.intake.errors import Problem
from firebell.intake.event import AlertEvent

Severity = Literal["P0", "P1", "P2", "P3"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
Security = Literal["none", "potential", "active"]
Complaints = Literal["none", "few", "multiple"]
Op = Literal["is", "<", "<=", ">", ">=", "=="]


@dataclass(frozen=True)
class Signals:
    """What is known about the impact; None means unknown (and answers "no")."""

    platform_down: bool | None = None
    critical_feature_unavailable: bool | None = None
    multiple_users_affected: bool | None = None
    tps: float | None = None
    latency_seconds: float | None = None
    error_rate: float | None = None  # a fraction: 0.05 is 5 %
    security: Security | None = None
    user_complaints: Complaints | None = None


SIGNAL_NAMES = frozenset(f.name for f in fields(Signals))
_BOOLEAN = frozenset({"platform_down", "critical_feature_unavailable", "multiple_users_affected"})
_NUMERIC = frozenset({"tps", "latency_seconds", "error_rate"})
_WORDS: dict[str, tuple[str, ...]] = {
    "security": get_args(Security),
    "user_complaints": get_args(Complaints),
}
_SIGNAL_TEXT = {
    "platform_down": "platform down",
    "critical_feature_unavailable": "critical feature unavailable",
    "multiple_users_affected": "multiple users affected",
    "tps": "TPS",
    "latency_seconds": "latency",
    "error_rate": "error rate",
    "security": "security",
    "user_complaints": "user complaints",
}


@dataclass(frozen=True)
class Condition:
    """A test of one signal: ``is`` for booleans, comparisons for numbers, ``==`` for words."""

    signal: str
    op: Op
    value: float | str | bool = True

    def __post_init__(self) -> None:
        if self.signal not in SIGNAL_NAMES:
            raise ValueError(f"unknown signal {self.signal!r}; known: {sorted(SIGNAL_NAMES)}")
        if self.signal in _BOOLEAN and (self.op != "is" or not isinstance(self.value, bool)):
            raise ValueError(f"{self.signal} is a yes/no signal: use op 'is' with true or false")
        if self.signal in _NUMERIC and (
            self.op in ("is", "==") or isinstance(self.value, bool | str)
        ):
            raise ValueError(f"{self.signal} is a number: compare it with <, <=, > or >=")
        words = _WORDS.get(self.signal)
        if words is not None and (self.op != "==" or self.value not in words):
            raise ValueError(f"{self.signal} is one of {', '.join(words)}: use op '=='")

    def holds(self, signals: Signals) -> bool:
        actual = getattr(signals, self.signal)
        if actual is None:
            return False
        if self.op in ("is", "=="):
            return bool(actual == self.value)
        number, threshold = float(actual), float(self.value)
        if self.op == "<":
            return number < threshold
        if self.op == "<=":
            return number <= threshold
        if self.op == ">":
            return number > threshold
        return number >= threshold

    def describe(self, signals: Signals) -> str:
        """The test as it held, e.g. ``TPS 450000 < 500000`` or ``error rate 7.2% > 5%``."""
        name = _SIGNAL_TEXT[self.signal]
        actual = getattr(signals, self.signal)
        if self.op == "is":
            return name if self.value else f"not {name}"
        if self.op == "==":
            return f"{name} {actual}"
        return f"{name} {_number(self.signal, actual)} {self.op} {_number(self.signal, self.value)}"


@dataclass(frozen=True)
class Outcome:
    """A leaf: this severity, whatever the source said."""

    severity: Severity


@dataclass(frozen=True)
class Baseline:
    """A leaf: this severity, or the source's own (mapped) severity when that is more severe."""

    severity: Severity


@dataclass(frozen=True)
class Branch:
    when: Condition
    then: Node


@dataclass(frozen=True)
class Question:
    """Branches tried in order; the first whose test holds is taken, else ``otherwise``.

    ``name`` is the short word used in the branch text ("performance"), ``text`` the question
    as the playbook asks it.
    """

    name: str
    text: str
    branches: tuple[Branch, ...]
    otherwise: Node


Node = Question | Outcome | Baseline


@dataclass(frozen=True)
class Thresholds:
    """The numbers in the default tree. Error rates are fractions."""

    tps_p0_below: float = 500_000
    tps_p1_below: float = 700_000
    latency_p1_above_seconds: float = 5.0
    error_rate_p1_above: float = 0.05
    error_rate_p2_from: float = 0.01
    latency_p2_above_seconds: float = 1.0


def default_tree(t: Thresholds | None = None) -> Question:
    """The seed playbook's decision tree with thresholds ``t`` (the seed's by default)."""
    t = t or Thresholds()
    impact = Question(
        "impact",
        "Is there minor impact (elevated error rate, slow responses, several users)?",
        (
            Branch(Condition("error_rate", ">=", t.error_rate_p2_from), Baseline("P2")),
            Branch(Condition("latency_seconds", ">", t.latency_p2_above_seconds), Baseline("P2")),
            Branch(Condition("multiple_users_affected", "is", True), Baseline("P2")),
        ),
        Baseline("P3"),
    )
    complaints = Question(
        "complaints",
        "Are users complaining?",
        (
            Branch(Condition("user_complaints", "==", "multiple"), Outcome("P1")),
            Branch(Condition("user_complaints", "==", "few"), Outcome("P2")),
        ),
        impact,
    )
    security = Question(
        "security",
        "Is there a security concern?",
        (
            Branch(Condition("security", "==", "active"), Outcome("P0")),
            Branch(Condition("security", "==", "potential"), Outcome("P1")),
        ),
        complaints,
    )
    performance = Question(
        "performance",
        "Is there significant performance degradation?",
        (
            Branch(Condition("tps", "<", t.tps_p0_below), Outcome("P0")),
            Branch(Condition("tps", "<", t.tps_p1_below), Outcome("P1")),
            Branch(Condition("latency_seconds", ">", t.latency_p1_above_seconds), Outcome("P1")),
            Branch(Condition("error_rate", ">", t.error_rate_p1_above), Outcome("P1")),
        ),
        security,
    )
    users = Question(
        "users",
        "Are multiple users affected?",
        (Branch(Condition("multiple_users_affected", "is", True), Outcome("P0")),),
        Outcome("P1"),
    )
    feature = Question(
        "critical feature",
        "Is a critical feature completely unavailable?",
        (Branch(Condition("critical_feature_unavailable", "is", True), users),),
        performance,
    )
    return Question(
        "platform",
        "Is the entire platform down?",
        (Branch(Condition("platform_down", "is", True), Outcome("P0")),),
        feature,
    )


DEFAULT_TREE = default_tree()


@dataclass(frozen=True)
class Classification:
    """A severity and why: ``branch`` is one line for the timeline, ``path`` every answer."""

    severity: Severity
    branch: str
    path: tuple[str, ...]


def classify(
    signals: Signals,
    *,
    source: Severity | None = None,
    tree: Node = DEFAULT_TREE,
) -> Classification:
    """Walk ``tree`` with ``signals``; ``source`` is the sender's severity for Baseline leaves."""
    node: Node = tree
    taken: list[str] = []
    path: list[str] = []
    last: Question | None = None
    via_otherwise = False
    while isinstance(node, Question):
        last = node
        for branch in node.branches:
            if branch.when.holds(signals):
                described = branch.when.describe(signals)
                taken.append(f"{node.name}: {described}")
                path.append(f"{node.text} yes ({described})")
                node, via_otherwise = branch.then, False
                break
        else:
            path.append(f"{node.text} no")
            node, via_otherwise = node.otherwise, True
    if via_otherwise and last is not None:
        taken.append(f"{last.name}: no")
    severity = node.severity
    if isinstance(node, Baseline) and source is not None and _rank(source) < _rank(severity):
        taken.append(f"source severity {source}")
        path.append(f"source severity {source} is more severe than {severity}")
        severity = source
    return Classification(severity, " → ".join([*taken, severity]), tuple(path))


def classify_event(event: AlertEvent, *, tree: Node = DEFAULT_TREE) -> Classification:
    """Classify an alert from its labels, its annotations (if any) and its severity hint."""
    annotations = event.details.get("annotations")
    extracted = extract_signals(
        event.labels, annotations if isinstance(annotations, dict) else None
    )
    return classify(
        extracted.signals, source=source_severity(event.format, event.severity_hint), tree=tree
    )


_WORD_SEVERITY: dict[str, Severity] = {
    "critical": "P1",
    "high": "P1",
    "error": "P2",
    "warning": "P3",
    "info": "P3",
    "low": "P3",
    "p0": "P0",
    "p1": "P1",
    "p2": "P2",
    "p3": "P3",
}
_OPSGENIE_SEVERITY: dict[str, Severity] = {
    "p1": "P1",
    "p2": "P1",
    "p3": "P2",
    "p4": "P3",
    "p5": "P3",
}


def source_severity(format: str, hint: str | None) -> Severity | None:
    """The sender's severity word as a firebell severity (see the module docstring)."""
    if hint is None:
        return None
    table = _OPSGENIE_SEVERITY if format == "opsgenie" else _WORD_SEVERITY
    return table.get(hint.strip().lower())


@dataclass(frozen=True)
class ExtractedSignals:
    """Signals read from labels/annotations, and the values that could not be read, with why."""

    signals: Signals
    ignored: tuple[Problem, ...] = ()


def extract_signals(
    labels: Mapping[str, str], annotations: Mapping[str, str] | None = None
) -> ExtractedSignals:
    """Read signals from labels named like the :class:`Signals` fields; labels win.

    Accepted values: yes/no signals ``true``/``false``/``yes``/``no``/``1``/``0``; ``tps``
    a number, optionally suffixed ``k`` or ``m`` (``450k``); ``latency_seconds`` a number of
    seconds, or ``250ms``; ``error_rate`` a fraction (``0.072``) or a percentage (``7.2%``);
    ``security`` none/potential/active; ``user_complaints`` none/few/multiple. Anything else is
    left unknown and reported in ``ignored``.
    """
    merged = {**(annotations or {}), **labels}
    values: dict[str, object] = {}
    ignored: list[Problem] = []
    for name in sorted(SIGNAL_NAMES):
        raw = merged.get(name)
        if raw is None or not raw.strip():
            continue
        try:
            values[name] = _read_signal(name, raw.strip())
        except ValueError as exc:
            ignored.append(Problem(name, str(exc)))
    return ExtractedSignals(Signals(**values), tuple(ignored))  # type: ignore[arg-type]


def _read_signal(name: str, text: str) -> object:
    low = text.lower()
    if name in _BOOLEAN:
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0"):
            return False
        raise ValueError(f"must be true or false (got {text!r})")
    if name in _WORDS:
        if low not in _WORDS[name]:
            raise ValueError(f"must be one of {', '.join(_WORDS[name])} (got {text!r})")
        return low
    if name == "error_rate":
        if low.endswith("%"):
            return _number_text(low[:-1], text) / 100
        rate = _number_text(low, text)
        if rate > 1:
            raise ValueError(f"a bare number is a fraction 0-1; write {text}% for a percentage")
        return rate
    if name == "latency_seconds" and low.endswith("ms"):
        return _number_text(low[:-2], text) / 1000
    if name == "latency_seconds" and low.endswith("s"):
        return _number_text(low[:-1], text)
    if name == "tps" and low[-1:] in ("k", "m"):
        return _number_text(low[:-1], text) * (1_000 if low.endswith("k") else 1_000_000)
    return _number_text(low, text)


def _number_text(digits: str, original: str) -> float:
    try:
        value = float(digits)
    except ValueError:
        raise ValueError(f"must be a number (got {original!r})") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a finite number >= 0 (got {original!r})")
    return value


def _number(signal: str, value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    if signal == "error_rate":
        return f"{number * 100:g}%"
    text = str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:g}"
    return f"{text}s" if signal == "latency_seconds" else text


def _rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)
