import pytest
from conftest import load_lib

cursor = load_lib("my_api", "cursor")


def test_round_trip():
    token = cursor.encode_cursor("s3cret", "-date_order", ["2026-01-01 10:00:00", 42])
    assert cursor.decode_cursor("s3cret", "-date_order", token) == ["2026-01-01 10:00:00", 42]


def test_cursor_is_opaque_and_url_safe():
    token = cursor.encode_cursor("s3cret", "id", [7, 7])
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_forged_cursor_is_rejected():
    token = cursor.encode_cursor("s3cret", "id", [7, 7])
    with pytest.raises(cursor.InvalidCursor):
        cursor.decode_cursor("other-secret", "id", token)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(cursor.InvalidCursor):
        cursor.decode_cursor("s3cret", "id", tampered)


def test_cursor_is_bound_to_its_order():
    token = cursor.encode_cursor("s3cret", "-date_order", ["2026-01-01 10:00:00", 42])
    with pytest.raises(cursor.InvalidCursor, match="another order"):
        cursor.decode_cursor("s3cret", "date_order", token)


@pytest.mark.parametrize("garbage", ["", "!!!", "a" * 3000, None, "bm90IGEgY3Vyc29y"])
def test_garbage_is_rejected_cleanly(garbage):
    with pytest.raises(cursor.InvalidCursor):
        cursor.decode_cursor("s3cret", "id", garbage)
