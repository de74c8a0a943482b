import pytest
from conftest import load_lib

networks = load_lib("my_api", "networks")


def test_ranges_are_read_in_normal_form_without_duplicates():
    parsed = networks.parse_networks("192.168.0.7/24,\n10.0.0.1 ; 2001:DB8::/32 192.168.0.0/24")
    assert networks.format_networks(parsed) == "192.168.0.0/24, 10.0.0.1/32, 2001:db8::/32"


def test_empty_text_is_no_restriction():
    assert networks.parse_networks("") == ()
    assert networks.parse_networks(None) == ()
    assert networks.format_networks(()) is None
    assert networks.address_allowed("203.0.113.9", ())


@pytest.mark.parametrize(
    "text", ["192.168.0.0/33", "10.0.0.256", "not-an-address", "fe80::/129", "10.0.0.0/8/8"]
)
def test_garbage_is_refused_naming_the_culprit(text):
    with pytest.raises(networks.NetworkError, match=text.replace(".", r"\.")):
        networks.parse_networks(f"127.0.0.1, {text}")


def test_too_many_ranges_are_refused():
    text = ", ".join(f"10.0.{n // 256}.{n % 256}" for n in range(networks.MAX_NETWORKS + 1))
    with pytest.raises(networks.NetworkError, match="at most"):
        networks.parse_networks(text)


def test_addresses_in_and_out_of_ranges():
    allowed = networks.parse_networks("192.168.0.0/24, 2001:db8::/32")
    assert networks.address_allowed("192.168.0.200", allowed)
    assert not networks.address_allowed("10.0.0.1", allowed)
    assert not networks.address_allowed("127.0.0.1", allowed)
    assert networks.address_allowed("2001:db8::1", allowed)
    assert not networks.address_allowed("2001:db9::1", allowed)
    # an IPv4 client on a dual-stack socket is checked as IPv4
    assert networks.address_allowed("::ffff:192.168.0.9", allowed)
    assert not networks.address_allowed("::ffff:10.0.0.1", allowed)


@pytest.mark.parametrize("address", ["", None, "garbage", "192.168.0.1:8080"])
def test_an_unreadable_address_is_in_no_range(address):
    allowed = networks.parse_networks("0.0.0.0/0, ::/0")
    assert not networks.address_allowed(address, allowed)
