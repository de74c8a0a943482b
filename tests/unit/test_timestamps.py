import datetime

import pytest
from conftest import load_lib

ts = load_lib("my_api", "timestamps")
s = load_lib("my_api", "schema")

dt = datetime.datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T10:00:00+04:00", dt(2026, 1, 31, 6, 0, 0)),
        ("2026-01-31T10:00:00Z", dt(2026, 1, 31, 10, 0, 0)),
        ("2026-01-31t10:00:00z", dt(2026, 1, 31, 10, 0, 0)),
        ("2026-01-31 10:00:00-05:30", dt(2026, 1, 31, 15, 30, 0)),
        ("2026-01-31T10:00+0100", dt(2026, 1, 31, 9, 0, 0)),
        ("2026-01-31T10:00:00.123456789+00:00", dt(2026, 1, 31, 10, 0, 0, 123456)),
        ("2026-01-31T02:00:00+04:00", dt(2026, 1, 30, 22, 0, 0)),  # the day before in UTC
        ("2026-01-31T23:30:00+14:00", dt(2026, 1, 31, 9, 30, 0)),
        ("2026-01-31T00:00:00-12:00", dt(2026, 1, 31, 12, 0, 0)),
    ],
)
def test_order_date_offset_honoured(text, expected):
    assert ts.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text", ["2026-01-31T10:00:00", "2026-01-31 10:00:00", "2026-01-31T10:00:00.5"]
)
def test_naive_timestamp_policy(text):
    with pytest.raises(ts.TimestampError) as caught:
        ts.parse_timestamp(text)
    assert caught.value.issue == "missing_offset"
    assert "offset" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "0089-01-28T15:19:42Z",
        "0094-01-05T00:58:12+17:11",
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:00:00+00:01",  # 1899 in UTC
        "9999-12-31T23:00:00-05:00",  # the year 10000 in UTC
        "0001-01-01T00:00:00+01:00",
        "2026-01-31T10:00:00+14:01",
        "2026-01-31T10:00:00-12:30",
        "2026-01-31T10:00:00+23:59",
    ],
)
def test_dates_out_of_range_are_400(text):
    with pytest.raises(ts.TimestampError) as caught:
        ts.parse_timestamp(text)
    assert caught.value.issue == "out_of_range"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-31T24:00:00Z",
        "2026-01-31T10:60:00Z",
        "2026-01-31T10:00:00+04:60",
        "2026-01-31T10:00:00+4",
        "20260131T100000Z",
        "2026-W05-6T10:00:00Z",
        "2026-01-31T10:00:00Z trailing",
        "\uff11\uff12\uff13\uff14-01-31T10:00:00Z",  # not ASCII digits
    ],
)
def test_garbage_timestamps_are_invalid_format(text):
    with pytest.raises(ts.TimestampError) as caught:
        ts.parse_timestamp(text)
    assert caught.value.issue == "invalid_format"


def test_date_alone_is_not_a_timestamp():
    with pytest.raises(ts.TimestampError) as caught:
        ts.parse_timestamp("2026-01-31")
    assert caught.value.issue == "invalid_format"
    assert "2026-01-31T00:00:00Z" in str(caught.value)


def test_non_string_is_refused():
    with pytest.raises(ts.TimestampError):
        ts.parse_timestamp(1706680800)
    with pytest.raises(ts.TimestampError):
        ts.parse_date(None)


def test_date_to_includes_whole_day():
    span = ts.parse_span("2026-01-31")
    assert span == ts.Span(dt(2026, 1, 31), dt(2026, 2, 1))
    assert span.start <= dt(2026, 1, 31, 23, 30) < span.end


def test_whole_day_in_another_timezone():
    # a day of Brussels in winter is 23:00 UTC the day before to 23:00 UTC
    assert ts.day_span(datetime.date(2026, 1, 31), "Europe/Brussels") == ts.Span(
        dt(2026, 1, 30, 23), dt(2026, 1, 31, 23)
    )
    # the day the clocks go forward lasts 23 hours
    span = ts.day_span(datetime.date(2026, 3, 29), "Europe/Brussels")
    assert span.end - span.start == datetime.timedelta(hours=23)


def test_span_of_a_timestamp_is_its_second():
    assert ts.parse_span("2026-01-31T10:00:00.75+01:00") == ts.Span(
        dt(2026, 1, 31, 9, 0, 0), dt(2026, 1, 31, 9, 0, 1)
    )


def test_span_at_the_end_of_time_is_open():
    assert ts.parse_span("9999-12-31").end is None
    assert ts.parse_span("9999-12-31T23:59:59Z").end is None


@pytest.mark.parametrize("text", ["0089-01-28", "10000-01-01", "2026-02-30", "2026-1-5", "x"])
def test_bad_dates(text):
    with pytest.raises(ts.TimestampError):
        ts.parse_date(text)
    with pytest.raises(ts.TimestampError):
        ts.parse_span(text)


def test_emitted_timestamps_carry_z():
    assert ts.format_timestamp(dt(2026, 1, 31, 6, 0, 0, 999999)) == "2026-01-31T06:00:00Z"
    aware = dt(2026, 1, 31, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=4)))
    assert ts.format_timestamp(aware) == "2026-01-31T06:00:00Z"
    assert ts.format_timestamp(dt(2026, 1, 31, 6, 0, 0, 5), precise=True) == (
        "2026-01-31T06:00:00.000005Z"
    )
    assert ts.parse_timestamp(ts.format_timestamp(dt(1900, 1, 1), precise=True)) == dt(1900, 1, 1)


DATES = s.Object(
    {
        "at": s.Field("string", format="date-time"),
        "on": s.Field("string", format="date", nullable=True),
    }
)


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        ({"at": "2026-01-31T10:00:00"}, "missing_offset"),
        ({"at": "2026-01-31"}, "invalid_format"),
        ({"at": "0089-01-28T15:19:42Z"}, "out_of_range"),
        ({"at": "0094-01-05T00:58:12+17:11"}, "out_of_range"),
        ({"on": "0089-01-28"}, "out_of_range"),
        ({"on": "2026-01-31T00:00:00Z"}, "invalid_format"),
    ],
)
def test_schema_refuses_bad_timestamps_naming_the_field(body, issue):
    errors = s.validate(body, DATES)
    assert [(e["field"], e["issue"]) for e in errors] == [(next(iter(body)), issue)]
    assert errors[0]["message"].startswith(next(iter(body)) + " ")


def test_schema_accepts_good_timestamps():
    assert s.validate({"at": "2026-01-31T10:00:00+04:00", "on": "2026-01-31"}, DATES) == []
    assert s.validate({"on": None}, DATES) == []
