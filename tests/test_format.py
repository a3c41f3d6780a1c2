"""Units and number formats (simulation/format.py), the one place that defines them."""

from __future__ import annotations

import math

from simulation import format as fmt


def test_units_of_metrics_daily_columns_and_parameters():
    assert fmt.metric_unit("response_rate") == "share"
    assert fmt.metric_unit("received_complaint") == "count"
    assert fmt.metric_unit("open_items") == "items"
    assert fmt.metric_unit("multi_department_median_hours") == "hours"
    assert fmt.metric_unit("no_such_thing") == ""
    assert fmt.parameter_unit("population.patience_mean_hours") == "hours"
    assert fmt.parameter_unit("departments.pensions.staff") == ""


def test_table_cells_by_unit():
    assert fmt.metric_value("response_rate", 0.3456) == "34.6%"
    assert fmt.metric_value("needs", 12345.4) == "12,345"
    assert fmt.metric_value("median_response_hours", 1234.56) == "1,234.6"
    assert fmt.metric_value("trust_change", 0.0123) == "+0.012"
    assert fmt.metric_value("mean_trust", 0.5) == "0.500"
    assert fmt.metric_value("mean_trust", math.nan) == "n/a"
    assert fmt.metric_difference("response_rate", 0.031) == "+3.1 pp"
    assert fmt.metric_difference("needs", -1500.0) == "-1,500"
    assert fmt.metric_difference("mean_trust", 0.01234) == "+0.0123"
    assert fmt.metric_difference("response_rate", None) == "n/a"


def test_prose_and_plain_numbers():
    assert fmt.metric_text("response_rate", 0.347) == "34.7%"
    assert fmt.metric_text("p90_response_hours", 12.34) == "12.3 h"
    assert fmt.metric_text("needs", 12.34) == "12.3"
    assert fmt.metric_difference_text("needs", 1234.0) == "+1,234"
    assert fmt.metric_difference_text("response_rate", math.inf) == "–"
    assert fmt.number(0.000123456) == "0.0001235"
    assert fmt.number(2.5, sign=True) == "+2.5"
    assert fmt.readable(12345.6) == "12,346"
    assert fmt.readable(0.00001234) == "1.23e-05"
    assert fmt.readable(None) == "–"
    assert fmt.p_value(0.0004) == "<0.001" and fmt.p_value(0.0312) == "0.031"
    assert fmt.toml_number(10_000) == "10_000" and fmt.toml_number(0.5) == "0.5"


def test_swept_values_and_large_numbers_never_in_e_notation():
    assert fmt.parameter_value(0.8309031351698377) == "0.831"
    assert fmt.parameter_value(0.1 + 0.2) == "0.3"
    assert fmt.parameter_value(20000) == "20,000"
    assert fmt.parameter_value(True) == "True" and fmt.parameter_value("timeliness") == "timeliness"
    assert fmt.readable(1234.0, sign=True) == "+1,234" and fmt.readable(-2.5, sign=True) == "-2.5"
    # a metric without a known unit: thousands whole, not 1.58e+04
    assert fmt.metric_value("threat_effect", 15800.0) == "15,800"
    assert fmt.metric_difference("threat_effect", 1580.0) == "+1,580"


def test_axis_labels_carry_unit_and_better_direction():
    assert fmt.axis_label("response_rate") == "response rate [%], ↑ better"
    assert fmt.axis_label("response_rate", axis="x", difference=True) == "difference [pp], better →"
    assert fmt.axis_label("p90_response_hours") == "p90 response hours [hours], ↓ better"
    assert fmt.axis_label("contacts") == "contacts [count]", "demand: no direction"
    assert fmt.axis_label("gap", unit="share", difference=True, words="gap") == "gap [pp]"


def test_breakdown_names_are_the_codes_names_and_no_others():
    from simulation.codes import CHANNEL_NAMES, KIND_NAMES, QUALITY_NAMES

    received = {f"received_{k}" for k in KIND_NAMES} | {f"received_via_{c}" for c in CHANNEL_NAMES}
    replies = {f"replies_{q}" for q in QUALITY_NAMES.values()}
    by_hand = {"received", "received_via_monitoring"}
    summary = {m for m in fmt.UNIT_SUMMARY_METRICS if m.startswith(("received", "replies_"))}
    assert summary == received | replies | by_hand
    series = {m for m in fmt.UNIT_SERIES_COLUMNS if m.startswith(("received_", "replies_"))}
    assert series == received | replies | {"replies_per_received", "replies_per_contact"} | {
        "replies_on_time"
    }
    assert fmt.RECEIVED_BY_KIND.index("received_complaint") == KIND_NAMES.index("complaint")
    assert [fmt.REPLIES_BY_QUALITY[c] for c in QUALITY_NAMES] == [
        f"replies_{QUALITY_NAMES[c]}" for c in QUALITY_NAMES
    ]


def test_a_per_account_metric_keeps_its_account_name_as_written():
    assert fmt.metric_words("response_rate") == "response rate"
    assert fmt.metric_words("response_rate@weibo_city") == "response rate@weibo_city"
    assert fmt.metric_label("p90_response_hours@hotline_12333").startswith(
        "p90 response hours@hotline_12333"
    )
