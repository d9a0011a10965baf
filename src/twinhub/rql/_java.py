"""The Java value rules behind Ditto's in-memory RQL evaluation (`ThingPredicatePredicateVisitor`).

A JSON scalar becomes a Java object as Ditto's JSON model hands it over: strings, booleans, null, and numbers as
Integer or Long when integral and in range (`ImmutableJsonDouble.isInt()`/`isLong()` also for `42.0`), else
Double. For comparing, every Number becomes `new BigDecimal(n.toString())`; here a `Decimal` made from the same
text. `compare` is Ditto's `compare(value, obj)`: string against number parses the string as a BigDecimal;
same classes use `compareTo` (String by UTF-16 code units, Boolean false < true, BigDecimal numerically); other
pairs compare their `toString()` texts.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from twinhub.rql.ast import Value

__all__ = ["Comparable", "compare", "double_to_string", "java_string", "json_comparable", "value_comparable"]

Comparable = str | bool | Decimal


_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1
# java.math.BigDecimal(String): sign, digits with an optional point (one side may be empty), optional exponent;
# digits are Unicode decimal digits (Character.isDigit), as Python's `\d` and Decimal's.
_BIG_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def json_comparable(scalar: str | bool | int | float) -> Comparable | None:
    """The Comparable Ditto derives from a JSON scalar of the thing (after `asNumber`).

    None for NaN, which JSON cannot carry and Java's BigDecimal cannot hold; infinities order beyond all numbers.
    """
    if isinstance(scalar, bool | str):
        return scalar
    if isinstance(scalar, float):
        if math.isnan(scalar):
            return None
        integral = _integral(scalar)
        return Decimal(integral) if integral is not None else _decimal(double_to_string(scalar))
    return Decimal(scalar)


def value_comparable(value: Value) -> Comparable | None:
    """The Comparable of a literal (a long stays a long, a double stays a double); None for null (and NaN)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else _decimal(double_to_string(value))
    if isinstance(value, int):
        return Decimal(value)
    return None  # an unresolved placeholder resolves to null, as in Ditto


def java_string(scalar: str | bool | int | float) -> str:
    """`String.valueOf(obj)` of the Java object a JSON scalar becomes (what like/ilike match against)."""
    if isinstance(scalar, str):
        return scalar
    if isinstance(scalar, bool):
        return "true" if scalar else "false"
    if isinstance(scalar, float):
        integral = _integral(scalar)
        return str(integral) if integral is not None else double_to_string(scalar)
    return str(scalar)


def compare(value: Comparable, obj: Comparable) -> int:
    """Sign of `obj` against `value` (> 0: obj is greater), by Ditto's rules (see the module docstring)."""
    if isinstance(value, str) and isinstance(obj, Decimal):
        parsed = _parse_big_decimal(value)
        if parsed is not None:
            return _sign(obj.compare(parsed))
    elif isinstance(value, Decimal) and isinstance(obj, str):
        parsed = _parse_big_decimal(obj)
        if parsed is not None:
            return _sign(parsed.compare(value))
    if isinstance(obj, Decimal) and isinstance(value, Decimal):
        return _sign(obj.compare(value))
    if isinstance(obj, bool) and isinstance(value, bool):
        return int(obj) - int(value)
    if isinstance(obj, str) and isinstance(value, str):
        return _compare_texts(obj, value)
    return _compare_texts(_to_string(obj), _to_string(value))


def double_to_string(value: float) -> str:
    """Java's `Double.toString` (JDK 19+): shortest digits; plain in [1e-3, 1e7), else `d.dddE±n`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    digits, exponent = _shortest_digits(magnitude)
    if 1e-3 <= magnitude < 1e7:
        text = format(Decimal(f"{digits}E{exponent}"), "f")
        return sign + (text if "." in text else text + ".0")
    adjusted = exponent + len(digits) - 1
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{adjusted}"


def _shortest_digits(magnitude: float) -> tuple[str, int]:
    """Digits (no trailing zeros) and exponent of the decimal Java prints for a positive finite double.

    Python's repr gives the shortest digits that round-trip, closest to the exact value. When that is a single
    digit, Java also considers two-digit decimals and takes the closest one (4.9E-324 rather than 5E-324).
    """
    shortest = Decimal(repr(magnitude)).normalize().as_tuple()
    digits = "".join(str(digit) for digit in shortest.digits)
    exponent = int(shortest.exponent)
    if len(digits) > 1:
        return digits, exponent
    exact = Fraction(magnitude)
    best = Fraction(int(digits)) * Fraction(10) ** exponent
    for scale_exponent in (exponent - 1, exponent - 2):
        scale = Fraction(10) ** scale_exponent
        two = round(exact / scale)
        candidate = two * scale
        if 10 <= two <= 99 and float(candidate) == magnitude and abs(candidate - exact) < abs(best - exact):
            best = candidate
    closest = Decimal(best.numerator) / Decimal(best.denominator)
    closest_digits = closest.normalize().as_tuple()
    return "".join(str(digit) for digit in closest_digits.digits), int(closest_digits.exponent)


def _integral(value: float) -> int | None:
    """The Integer/Long Ditto's JSON model turns a double into, or None when it stays a Double."""
    if math.isfinite(value) and value.is_integer() and _LONG_MIN <= value <= 2.0**63:
        return min(int(value), _LONG_MAX)
    return None


def _decimal(text: str) -> Decimal:
    number = Decimal(text)
    return number.copy_abs() if number.is_zero() else number  # BigDecimal has no negative zero


def _parse_big_decimal(text: str) -> Decimal | None:
    if not _BIG_DECIMAL.fullmatch(text):
        return None
    try:
        return _decimal(text)
    except InvalidOperation:
        return None


def _to_string(comparable: Comparable) -> str:
    if isinstance(comparable, bool):
        return "true" if comparable else "false"
    return str(comparable)  # str(Decimal) is BigDecimal.toString: same digits, same switch to E notation


def _compare_texts(left: str, right: str) -> int:
    """Java's `String.compareTo` order: UTF-16 code unit by code unit (big-endian UTF-16 bytes sort alike)."""
    if left == right:
        return 0
    return 1 if left.encode("utf-16-be", "surrogatepass") > right.encode("utf-16-be", "surrogatepass") else -1


def _sign(number: Decimal) -> int:
    return 0 if number.is_zero() else (1 if number > 0 else -1)
