"""The one "host:port" parser (crmd_twisted.address) and the places that use it."""

from __future__ import annotations

import re

import pytest

from crmd_twisted.accounts import ConfigError
from crmd_twisted.address import format_address, parse_address, parse_address_or_none
from crmd_twisted.client import parse_address as client_parse_address
from crmd_twisted.tap.common import check_address
from crmd_twisted.wire import ClientLogon


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:4445", ("127.0.0.1", 4445)),
        ("oes.example:0", ("oes.example", 0)),
        ("h:65535", ("h", 65535)),
        ("[::1]:4445", ("::1", 4445)),
        ("[fe80::1%eth0]:80", ("fe80::1%eth0", 80)),
        ("127.0.0.1:4445\x00\x00\x00", ("127.0.0.1", 4445)),  # NUL padding of the wire field
    ],
)
def test_parses_host_and_port(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty address"),
        ("1", "missing port"),
        ("host", "missing port"),
        ("host:", "missing port"),
        (":4445", "missing host"),
        ("host:65536", "outside 0..65535"),
        ("host:99999", "outside 0..65535"),
        ("host:-1", "not a number"),
        ("host:12a", "not a number"),
        ("host: 80", "not a number"),
        ("::1:4445", "more than one ':'"),
        ("[::1]", "missing port"),
        ("[::1:4445", "no closing ']'"),
        ("[not-v6]:80", "not an IPv6 address"),
        ("my host:80", "without spaces"),
    ],
)
def test_junk_raises_a_value_error_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_address(text)
    assert parse_address_or_none(text) is None


def test_format_round_trips_through_the_parser() -> None:
    for host, port in [("127.0.0.1", 1), ("::1", 4445), ("example.org", 65535)]:
        assert parse_address(format_address(host, port)) == (host, port)
    assert format_address("::1", 80) == "[::1]:80"


def test_the_codec_the_client_and_tap_agree() -> None:
    """host:99999 passed one parser and failed another before; now all three refuse it."""
    for text in ["host:99999", "a:b:1", "1", "host:4445"]:
        reply = ClientLogon(primary_oes_address=text)
        ours = parse_address_or_none(text)
        assert reply.primary_oes == ours
        assert client_parse_address(text) == ours
        if ours is None:
            with pytest.raises(ConfigError, match="--oes: expected HOST:PORT"):
                check_address(text, "oes")
        else:
            assert check_address(text, "oes") == text


def test_tap_refuses_port_zero_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="port 0"):
        check_address("127.0.0.1:0", "oes")
    with pytest.raises(ConfigError, match=re.escape("outside 0..65535")):
        check_address("127.0.0.1:70000", "secondary-oes")
