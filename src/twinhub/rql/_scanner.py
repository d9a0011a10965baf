"""The lexical rules both RQL grammars share, after Ditto's `RqlParserBase.scala` (parboiled2).

    Literal   = (Double | Long | "…" | '…' | Placeholder | "true" WS | "false" WS | "null" WS) WS
    Double    = Integer "." Digit+              Long = !"-0" Integer  (Java long range)
    Integer   = ["+" | "-"] ([1-9] Digit+ | Digit)                     no leading zeros, no exponent
    "…"       = '"' ([^"\\] | "\\" ["\\/bfnrt] | "\\u" Hex4)* '"'      '…' the same with ' instead of "
    Property  = ([^,)"\\] | "\\" ["\\/bfnrt] | "\\u" Hex4)*            may be empty, keeps spaces
    Placeholder = "time:" Property-characters, captured raw; the name must be non-empty, without line breaks
    WS        = [ \n\r\t\f]*

Every rule of the grammar is deterministic after one character of look-ahead, so the scanner never backtracks;
a failure raises at the position parboiled2 would report (or next to it, where that reads better).
"""

from __future__ import annotations

import re
from typing import NoReturn

from twinhub.model.errors import RqlInvalid, RqlOptionInvalid
from twinhub.rql.ast import Placeholder, Value

__all__ = ["LONG_MAX", "LONG_MIN", "Scanner"]

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1

_WS = " \n\r\t\f"
_PROPERTY_RUN = re.compile(r'[^,)"\\]+')
_DQ_RUN = re.compile(r'[^"\\]+')
_SQ_RUN = re.compile(r"[^'\\]+")
_DIGITS = re.compile(r"[0-9]+")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_LINE_TERMINATOR = re.compile(r"[\n\r\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SNIPPET_RADIUS = 40  # characters of the offending line shown on each side of the error
_SIMPLE_ESCAPES = {"/": "/", "\\": "\\", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _syntax_message(subject: str, text: str, position: int, reason: str) -> str:
    """`<subject> is invalid at position N (line L, column C): <reason>` plus that line and a caret under it.

    Long lines are cut to a window around the position, marked with `…`.
    """
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    if line_end < 0:
        line_end = len(text)
    line = text[line_start:line_end]
    column = position - line_start
    left = max(0, column - _SNIPPET_RADIUS)
    right = min(len(line), column + _SNIPPET_RADIUS)
    prefix = "…" if left else ""
    snippet = prefix + line[left:right] + ("…" if right < len(line) else "")
    caret = " " * (len(prefix) + column - left) + "^"
    line_number = text.count("\n", 0, position) + 1
    return (
        f"{subject} is invalid at position {position} (line {line_number}, column {column + 1}): {reason}\n"
        f"{snippet}\n{caret}"
    )


class Scanner:
    """A cursor over one RQL text; each method consumes one rule or raises the caller's error type."""

    def __init__(self, text: str, *, subject: str, options: bool) -> None:
        self.text = text
        self.pos = 0
        self._subject = subject
        self._options = options
        surrogate = _SURROGATE.search(text)
        if surrogate:
            self.fail(surrogate.start(), "unpaired UTF-16 surrogate in the input")

    # --- errors and small steps ------------------------------------------------------------------

    def fail(self, position: int, reason: str) -> NoReturn:
        message = _syntax_message(self._subject, self.text, position, reason)
        if self._options:
            raise RqlOptionInvalid(message, position=position)
        raise RqlInvalid(message, position=position)

    def found(self, position: int) -> str:
        """How the character at `position` reads in an error message."""
        if position >= len(self.text):
            return "end of input"
        return repr(self.text[position])

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def expect(self, char: str) -> None:
        if self.peek() != char:
            self.fail(self.pos, f"expected {char!r}, found {self.found(self.pos)}")
        self.pos += 1

    def name(self, names: tuple[str, ...], what: str) -> str:
        """One of `names` directly followed by '(' (consumed too)."""
        text, start = self.text, self.pos
        for candidate in names:  # no name is a prefix of another
            if text.startswith(candidate, start):
                self.pos = start + len(candidate)
                self.expect("(")
                return candidate
        matched = max(_common_prefix(text, start, candidate) for candidate in names)
        self.fail(start + matched, f"expected {what} ({', '.join(names)}), found {self.found(start + matched)}")

    # --- properties and strings ------------------------------------------------------------------

    def property(self) -> str:
        """Property characters up to the next unescaped `,`, `)` or `"`, escapes decoded."""
        start = self.pos
        parts: list[str] = []
        text = self.text
        while True:
            run = _PROPERTY_RUN.match(text, self.pos)
            if run:
                parts.append(run.group())
                self.pos = run.end()
            if self.peek() != "\\":
                return self._join(parts, start)
            parts.append(self._escape('"'))

    def quoted(self, quote: str) -> str:
        """A string literal opened by `quote` at the cursor; JSON escapes, plus `\\'` inside single quotes."""
        start = self.pos
        self.pos += 1
        run_pattern = _DQ_RUN if quote == '"' else _SQ_RUN
        parts: list[str] = []
        text = self.text
        while True:
            run = run_pattern.match(text, self.pos)
            if run:
                parts.append(run.group())
                self.pos = run.end()
            char = self.peek()
            if char == quote:
                self.pos += 1
                return self._join(parts, start)
            if not char:
                self.fail(self.pos, f"expected the closing {quote} of the string opened at position {start}")
            parts.append(self._escape(quote))

    def _escape(self, quote: str) -> str:
        """The character a backslash escape at the cursor stands for (`quote` is the one escapable quote)."""
        backslash = self.pos
        char = self.text[backslash + 1 : backslash + 2]
        if char == quote:
            self.pos += 2
            return quote
        if char in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[char]
        if char == "u":
            digits = _HEX4.match(self.text, backslash + 2)
            if not digits:
                self.fail(backslash + 2, "expected four hex digits after \\u")
            self.pos = digits.end()
            return chr(int(digits.group(), 16))
        allowed = f"{quote} \\ / b f n r t u"
        self.fail(backslash + 1, f"invalid escape sequence: expected one of {allowed} after '\\'")

    def _join(self, parts: list[str], start: int) -> str:
        """Concatenate decoded parts; `\\uD83D\\uDE00`-style pairs combine, unpaired surrogates are rejected."""
        value = "".join(parts)
        if _SURROGATE.search(value):
            try:
                value = value.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                self.fail(start, "a \\u escape encodes an unpaired UTF-16 surrogate")
        return value

    # --- literals --------------------------------------------------------------------------------

    def literal(self) -> Value:
        """One Literal (see the module docstring), including the whitespace after it."""
        char = self.peek()
        value: Value
        if char in ("+", "-") or _is_digit(char):
            value = self.number(allow_double=True)
        elif char in ('"', "'"):
            value = self.quoted(char)
        elif self.text.startswith("time:", self.pos):
            value = self._placeholder()
        else:
            for word, constant in (("true", True), ("false", False), ("null", None)):
                if self.text.startswith(word, self.pos):
                    self.pos += len(word)
                    value = constant
                    break
            else:
                hint = " (no whitespace is allowed before a literal)" if char and char in _WS else ""
                self.fail(
                    self.pos,
                    "expected a literal (a number, a quoted string, true, false, null or a time: placeholder), "
                    f"found {self.found(self.pos)}{hint}",
                )
        self.skip_ws()
        return value

    def number(self, *, allow_double: bool) -> int | float:
        """Integer with an optional fraction (a Java double), else a Java long; `-0` is no long."""
        start = self.pos
        if self.peek() in ("+", "-"):
            self.pos += 1
        digits = _DIGITS.match(self.text, self.pos)
        if not digits:
            self.fail(self.pos, f"expected a digit, found {self.found(self.pos)}")
        self.pos = self.pos + 1 if digits.group().startswith("0") else digits.end()
        integer = self.text[start : self.pos]
        if allow_double and self.peek() == ".":
            fraction = _DIGITS.match(self.text, self.pos + 1)
            if not fraction:
                self.fail(self.pos + 1, f"expected a digit after '.', found {self.found(self.pos + 1)}")
            self.pos = fraction.end()
            return float(self.text[start : self.pos])
        if integer == "-0":
            self.fail(start, "'-0' is not a valid integer literal")
        value = int(integer) if len(integer.lstrip("+-")) <= 19 else LONG_MAX + 1
        if not LONG_MIN <= value <= LONG_MAX:
            self.fail(start, f"the integer literal {_shorten(integer)} is out of the range of a 64-bit long")
        return value

    def _placeholder(self) -> Placeholder:
        start = self.pos
        self.pos += len("time:")
        self.property()
        raw = self.text[start : self.pos]
        if raw == "time:":
            self.fail(self.pos, "expected a placeholder name after 'time:'")
        line_break = _LINE_TERMINATOR.search(raw)
        if line_break:
            self.fail(start + line_break.start(), "a placeholder name must not contain a line break")
        return Placeholder(raw)

    def unsigned_digits(self) -> str:
        digits = _DIGITS.match(self.text, self.pos)
        if not digits:
            self.fail(self.pos, f"expected a digit, found {self.found(self.pos)}")
        self.pos = digits.end()
        return digits.group()


def _is_digit(char: str) -> bool:
    return len(char) == 1 and "0" <= char <= "9"


def _common_prefix(text: str, start: int, word: str) -> int:
    length = 0
    while length < len(word) and text[start + length : start + length + 1] == word[length]:
        length += 1
    return length


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
