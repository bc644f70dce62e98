"""``[[indicators]]`` in network.toml: what the groups agreed to watch (`model/indicators.py`).

```toml
[[indicators]]
code = "WACHTTIJD-VOORDEUR"
name = { nl = "Wachttijd voordeur", en = "Waiting time at the front door" }
unit = { nl = "dagen", en = "days" }
better = "lower"           # or "higher"
aim = "experience"         # experience, health, cost or work (the Quadruple Aim)
kind = "level"             # level (a state) or count (how many since the last measurement)
groups = ["WG-WIJK-NOORD", "WG-WIJK-ZUID"]
references = { 2026 = 14, 2027 = 10 }   # the reference point agreed per period (optional)
cost_per_unit = false      # a count where higher is better: euro per unit on the statements
```

Every problem is reported with its line, as for the rest of the file.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from netfund.ledger.model.fields import FieldError, parse_period, parse_text
from netfund.ledger.model.indicators import (
    AIMS,
    DIRECTIONS,
    KINDS,
    Indicator,
    IndicatorValueError,
    check_value,
)
from netfund.ledger.model.limits import NAME_LENGTH_MAX

if TYPE_CHECKING:
    from netfund.ledger.inputs.network import _Checker

_KEYS = {
    "code",
    "name",
    "unit",
    "better",
    "aim",
    "kind",
    "groups",
    "references",
    "cost_per_unit",
}
_LANGUAGES = ("nl", "en")


def parse_indicators(check: _Checker, value: Any, group_codes: set[str]) -> list[Indicator]:
    """``[[indicators]]``: optional; each complete, its code once, its groups the network's."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        check.problem(("indicators",), "'indicators' must be an array of tables [[indicators]]")
        return []
    indicators: list[Indicator] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(value):
        path = ("indicators", index)
        check.unknown_keys(table, _KEYS, path)
        code = check.code_value(table, path)
        names = _bilingual(check, table, "name", path)
        units = _bilingual(check, table, "unit", path)
        better = _choice(check, table, "better", DIRECTIONS, path)
        aim = _choice(check, table, "aim", AIMS, path)
        kind = _choice(check, table, "kind", KINDS, path)
        groups = _groups(check, table, path, group_codes)
        references = _references(check, table, path)
        cost_per_unit = table.get("cost_per_unit", False)
        if not isinstance(cost_per_unit, bool):
            check.problem((*path, "cost_per_unit"), "'cost_per_unit' must be true or false")
            cost_per_unit = False
        if cost_per_unit and (kind != "count" or better != "higher"):
            check.problem(
                (*path, "cost_per_unit"),
                'a cost per unit needs a count where higher is better (kind = "count", '
                'better = "higher"): euro per resident reached, not per day of waiting',
            )
        if code is not None and code in seen:
            check.problem(
                (*path, "code"), f"indicator {code} is named twice (also indicators[{seen[code]}])"
            )
            continue
        if None in (code, names, units, better, aim, kind, groups):
            continue
        assert code and names and units and better and aim and kind and groups is not None
        seen[code] = index
        indicators.append(
            Indicator(
                code=code,
                name_nl=names[0],
                name_en=names[1],
                unit_nl=units[0],
                unit_en=units[1],
                better=better,
                aim=aim,
                kind=kind,
                groups=groups,
                references=references,
                cost_per_unit=cost_per_unit,
            )
        )
    return indicators


def _bilingual(
    check: _Checker, table: dict[str, Any], key: str, path: tuple
) -> tuple[str, str] | None:
    """``key = { nl = "...", en = "..." }``: both languages, since statements come in both."""
    value = table.get(key)
    if value is None:
        check.problem((*path, key), f'{key!r} is required, as {key} = {{ nl = "...", en = "..." }}')
        return None
    if not isinstance(value, dict):
        check.problem(
            (*path, key), f'{key!r} must name both languages: {key} = {{ nl = "...", en = "..." }}'
        )
        return None
    # Reported at the key's own line: a key inside an inline table has no line of its own.
    extra = sorted(set(value) - set(_LANGUAGES))
    if extra:
        check.problem((*path, key), f"{key!r} has unknown language(s) {', '.join(extra)} (nl, en)")
    texts: list[str | None] = []
    for language in _LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            check.problem((*path, key), f"{key!r} needs a non-empty {language} text")
            texts.append(None)
            continue
        try:
            texts.append(parse_text(text, f"{key}.{language}", NAME_LENGTH_MAX))
        except FieldError as error:
            check.problem((*path, key), str(error))
            texts.append(None)
    if texts[0] is None or texts[1] is None:
        return None
    return texts[0], texts[1]


def _choice(
    check: _Checker, table: dict[str, Any], key: str, allowed: tuple[str, ...], path: tuple
) -> str | None:
    value = table.get(key)
    if value is None:
        check.problem((*path, key), f"{key!r} is required ({' or '.join(allowed)})")
        return None
    if value not in allowed:
        check.problem((*path, key), f"{key!r} must be one of {', '.join(allowed)}, not {value!r}")
        return None
    return value


def _groups(
    check: _Checker, table: dict[str, Any], path: tuple, group_codes: set[str]
) -> tuple[str, ...] | None:
    value = table.get("groups")
    if value is None:
        check.problem((*path, "groups"), "'groups' is required: the groups that agreed to it")
        return None
    if not isinstance(value, list) or not value or not all(isinstance(g, str) for g in value):
        check.problem((*path, "groups"), "'groups' must be a non-empty list of group codes")
        return None
    unknown = [code for code in value if code not in group_codes]
    if unknown:
        check.problem(
            (*path, "groups"), f"unknown group(s) {', '.join(unknown)}: not among [[groups]]"
        )
        return None
    if len(set(value)) != len(value):
        check.problem((*path, "groups"), "'groups' names a group twice")
        return None
    return tuple(value)


def _references(
    check: _Checker, table: dict[str, Any], path: tuple
) -> tuple[tuple[str, Decimal], ...]:
    """``references = { 2026 = 14 }``: per period, an exact decimal (a TOML float's text is
    its shortest repr, so ``str()`` recovers what was written)."""
    value = table.get("references")
    if value is None:
        return ()
    if not isinstance(value, dict):
        check.problem(
            (*path, "references"),
            "'references' must be a table of period = value, like { 2026 = 14 }",
        )
        return ()
    references: list[tuple[str, Decimal]] = []
    for period_text, number in value.items():
        where = (*path, "references")
        try:
            period = parse_period(period_text)
        except FieldError as error:
            check.problem(where, str(error))
            continue
        if isinstance(number, bool) or not isinstance(number, int | float | str):
            check.problem(
                where, f"the reference point for {period} must be a number, not {number!r}"
            )
            continue
        try:
            reference = Decimal(str(number))
            if not reference.is_finite():
                raise InvalidOperation
            check_value(reference, str(number))
        except InvalidOperation:
            check.problem(
                where, f"the reference point for {period} must be a number, not {number!r}"
            )
            continue
        except IndicatorValueError as error:
            check.problem(where, f"the reference point for {period}: {error}")
            continue
        references.append((period, reference))
    return tuple(sorted(references))
