"""The payload mapping benchmark runs its scenarios and renders them (figures are written, never asserted)."""

from __future__ import annotations

from bench.mapping_js import MappingJsOptions, run, to_json, to_markdown


def test_the_mapping_benchmark_measures_every_scenario_and_renders_a_report() -> None:
    report = run(MappingJsOptions(iterations=20, warmup=2))
    assert report.problems == []
    assert [row.scenario for row in report.rows] == ["ditto-inbound", "js-text-inbound", "js-binary-inbound",
                                                     "js-outbound"]
    assert all(row.calls == 20 for row in report.rows)
    markdown = to_markdown(report)
    assert "| js-text-inbound |" in markdown
    assert to_json(report)["benchmark"] == "mapping-js"
