from __future__ import annotations

from datetime import UTC, datetime

import pytest

from twinhub.history import HistoryRules, Point, Rule, parse_rules


def test_by_default_every_leaf_is_recorded() -> None:
    assert HistoryRules().records("ns:t", "attributes/anything")


def test_rules_parse_with_and_without_a_namespace() -> None:
    assert parse_rules([" features/*/properties/* ", "", "org.acme.*:attributes/secret"]) == (
        Rule("features/*/properties/*"), Rule("attributes/secret", "org.acme.*"))


@pytest.mark.parametrize("text", [":attributes/a", "org acme:x", "ns:", "  ns:/  "])
def test_a_malformed_rule_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="history rule"):
        parse_rules([text])


def test_include_rules_narrow_and_exclude_rules_win() -> None:
    rules = HistoryRules(include=parse_rules(["features/*", "plant:attributes/*"]),
                         exclude=parse_rules(["features/*/desiredProperties/*", "lab:features/noise/*"]))
    assert rules.records("any:t", "features/temp/properties/value")
    assert not rules.records("any:t", "features/temp/desiredProperties/value")
    assert not rules.records("any:t", "attributes/a")
    assert rules.records("plant:t", "attributes/a")
    assert not rules.records("lab:t", "features/noise/properties/v")
    assert rules.records("lab:t", "features/temp/properties/v")


def test_a_leading_slash_in_a_glob_is_ignored() -> None:
    assert HistoryRules(exclude=parse_rules(["/attributes/*"])).records("ns:t", "attributes/a") is False


def test_select_keeps_the_recorded_points_in_order() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    a, b, c = (Point("ns:t", path, moment, 1, 1) for path in ("attributes/a", "attributes/b", "attributes/c"))
    assert HistoryRules(exclude=parse_rules(["attributes/b"])).select([a, b, c]) == (a, c)
