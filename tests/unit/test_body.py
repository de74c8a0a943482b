"""read_limited: a request body is read in chunks and refused as soon as it
passes its limit, never buffered whole first."""

import io

import pytest
from conftest import load_lib
from hypothesis import given
from hypothesis import strategies as st

body = load_lib("my_api", "body")


class EndlessStream(io.RawIOBase):
    """A body that never ends (a chunked upload of garbage): counts what is read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.read_bytes += len(buffer)
        buffer[:] = b"x" * len(buffer)
        return len(buffer)


class Trickle(io.RawIOBase):
    """Answers at most `step` bytes a read, as a socket does."""

    def __init__(self, data, step):
        self.data, self.step = data, step

    def readable(self):
        return True

    def readinto(self, buffer):
        part = self.data[: min(self.step, len(buffer))]
        self.data = self.data[len(part) :]
        buffer[: len(part)] = part
        return len(part)


def test_an_endless_body_is_refused_after_limit_plus_one_bytes():
    stream = EndlessStream()
    with pytest.raises(body.BodyTooLarge) as refused:
        body.read_limited(stream, 1000)
    assert refused.value.limit == 1000
    assert stream.read_bytes == 1001


def test_a_body_at_the_limit_is_read_whole():
    assert body.read_limited(io.BytesIO(b"a" * 1000), 1000) == b"a" * 1000
    with pytest.raises(body.BodyTooLarge):
        body.read_limited(io.BytesIO(b"a" * 1001), 1000)


def test_empty_body_and_zero_limit():
    assert body.read_limited(io.BytesIO(b""), 0) == b""
    assert body.read_limited(io.BytesIO(b""), 10) == b""
    with pytest.raises(body.BodyTooLarge):
        body.read_limited(io.BytesIO(b"x"), 0)


@given(
    data=st.binary(max_size=3000),
    limit=st.integers(min_value=0, max_value=3000),
    step=st.integers(min_value=1, max_value=700),
    chunk_size=st.integers(min_value=1, max_value=1024),
)
def test_short_reads_give_the_same_answer(data, limit, step, chunk_size):
    stream = Trickle(data, step)
    if len(data) > limit:
        with pytest.raises(body.BodyTooLarge):
            body.read_limited(stream, limit, chunk_size=chunk_size)
        assert len(data) - len(stream.data) == limit + 1  # not a byte more
    else:
        assert body.read_limited(stream, limit, chunk_size=chunk_size) == data


def test_deep_nesting_is_refused_as_bad_json():
    for text in ("[" * 100000, '{"a":' * 50000, "[" * 5000 + "]" * 5000):
        with pytest.raises(ValueError, match="nested"):
            body.loads(text.encode())
    assert body.loads(b'{"a": [[1]]}') == {"a": [[1]]}
    with pytest.raises(ValueError):
        body.loads(b"{nope")
