from __future__ import annotations

from casebridge.engine.extract.dates import date_at, find_dates, parse_date


def test_it_reads_uk_numeric_dates_day_first() -> None:
    assert parse_date("12/03/2024") == ("2024-03-12", "day")
    assert parse_date("12.03.24") == ("2024-03-12", "day")
    assert parse_date("1-3-2024") == ("2024-03-01", "day")


def test_it_reads_month_first_only_when_day_first_is_impossible() -> None:
    assert parse_date("03/25/2024") == ("2024-03-25", "day")
    assert parse_date("03/04/2024") == ("2024-04-03", "day")


def test_it_reads_written_months_and_ordinals() -> None:
    assert parse_date("12 March 2024") == ("2024-03-12", "day")
    assert parse_date("12th Mar 2024") == ("2024-03-12", "day")
    assert parse_date("3rd of July, 1961") == ("1961-07-03", "day")
    assert parse_date("March 12, 2024") == ("2024-03-12", "day")
    assert parse_date("12-Mar-24") == ("2024-03-12", "day")


def test_it_keeps_month_and_year_precision() -> None:
    assert parse_date("March 2024") == ("2024-03", "month")
    assert parse_date("03/2024") == ("2024-03", "month")
    assert parse_date("2019") == ("2019", "year")


def test_it_reads_iso_dates() -> None:
    assert parse_date("2024-03-12") == ("2024-03-12", "day")


def test_it_rejects_impossible_dates_whole() -> None:
    assert parse_date("31/02/2024") is None
    assert parse_date("31 February 2024") is None
    assert find_dates("seen on 31 February 2024") == []


def test_it_reads_a_bare_year_only_in_a_date_context() -> None:
    assert [d.iso for d in find_dates("diagnosed in 2019 and treated since 2020")] == [
        "2019",
        "2020",
    ]
    assert find_dates("a total of 2000 cells, weight 2019 g") == []
    assert find_dates("(2000 mL)") == []


def test_it_does_not_read_measurements_or_scores_as_dates() -> None:
    assert find_dates("ER 8/8, tumour 3.5 x 2.1 cm, Hb 12.5, 1.2.3") == []


def test_it_takes_the_year_of_a_range_for_its_first_month() -> None:
    dates = find_dates("R-CHOP from November to February 2024")
    assert [(d.iso, d.precision) for d in dates] == [("2023-11", "month"), ("2024-02", "month")]


def test_it_finds_a_date_right_after_a_label() -> None:
    text = "Date reported: 14/03/2024"
    found = date_at(text, len("Date reported"))
    assert found is not None and found.iso == "2024-03-14"
    assert found.text == "14/03/2024"


def test_may_is_a_month_only_when_capitalised() -> None:
    assert find_dates("it may 2024") == []
    assert [d.iso for d in find_dates("in May 2024")] == ["2024-05"]
