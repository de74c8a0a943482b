from conftest import load_lib

ratelimit = load_lib("my_api", "ratelimit")
Usage = ratelimit.Usage


def test_the_bucket_with_fewest_requests_left_is_described():
    user = Usage("user", 600, 60, 100, 30)
    key = Usage("key", 10, 60, 8, 30)
    assert ratelimit.tightest([user, key]) is key
    assert key.headers() == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "2",
        "RateLimit-Reset": "30",
        "RateLimit-Policy": '"key";q=10;w=60',
        "RateLimit": '"key";r=2;t=30',
    }


def test_a_refusal_describes_the_exceeded_bucket_that_ends_last():
    hourly = Usage("user", 5, 3600, 6, 1800)
    minute = Usage("key", 2, 60, 3, 20)
    full = Usage("other", 10, 86400, 10, 80000)  # at its limit, not over it
    assert ratelimit.tightest([minute, hourly, full]) is hourly
    assert ratelimit.tightest([minute, full]) is minute
    assert not full.exceeded and full.remaining == 0


def test_windows():
    assert ratelimit.window_start(125.5, 60) == 120
    assert ratelimit.reset_after(125.5, 60) == 55
    assert ratelimit.reset_after(179.9, 60) == 1


def test_address_buckets():
    assert ratelimit.address_bucket("203.0.113.5") == "ip:203.0.113.5"
    assert ratelimit.address_bucket("::ffff:203.0.113.5") == "ip:203.0.113.5"
    # one /64 is one subscriber: rotating addresses inside it does not help
    assert (
        ratelimit.address_bucket("2001:db8:1:2::1")
        == ratelimit.address_bucket("2001:db8:1:2:ffff::9")
        == "ip:2001:db8:1:2::/64"
    )
    assert ratelimit.address_bucket("2001:db8:1:3::1") != ratelimit.address_bucket(
        "2001:db8:1:2::1"
    )
    assert ratelimit.address_bucket(None) == "ip:unknown"
    assert ratelimit.address_bucket("not-an-ip") == "ip:not-an-ip"
