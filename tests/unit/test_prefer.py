"""The Prefer header: only `read-your-writes` sends a read to the primary."""

import pytest

from tests.conftest import load_lib

prefer = load_lib("my_api", "prefer")


@pytest.mark.parametrize(
    "header",
    [
        "read-your-writes",
        "Read-Your-Writes",
        "return=minimal, read-your-writes",
        "read-your-writes; strict",
        " read-your-writes ",
        "respond-async,read-your-writes=1",
    ],
)
def test_read_your_writes_is_recognised(header):
    assert prefer.wants_primary(header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "return=minimal",
        "read-your-write",
        "read-your-writes-please",
        "read your writes",
        "\x00read-your-writes",
        "ŕead-your-writes",
        ",,,;;;==",
        "x" * 10000,
    ],
)
def test_anything_else_reads_where_odoo_reads(header):
    assert not prefer.wants_primary(header)


def test_names_are_lower_cased_and_garbage_dropped():
    assert prefer.preferences("A=1;b, C ; d=2 , \x01bad, ") == {"a", "c"}
