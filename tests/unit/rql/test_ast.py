from __future__ import annotations

import pytest

from twinhub.rql import And, Comparison, In, Or, Placeholder, SizeOption, SortOption


@pytest.mark.parametrize(
    "make",
    [
        lambda: And(()),
        lambda: Or(()),
        lambda: In("a", ()),
        lambda: Comparison("EQ", "a", 1),  # type: ignore[arg-type]
        lambda: Placeholder("now"),
        lambda: Placeholder("time:"),
        lambda: Placeholder("time:a)b"),
        lambda: SortOption(()),
        lambda: SortOption((("*", "a"),)),  # type: ignore[arg-type]
        lambda: SizeOption(-1),
    ],
)
def test_trees_are_validated_on_construction(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]
