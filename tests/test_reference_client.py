"""The reference client's session, played over TCP against ``twistd -n crmd-aes`` and
``twistd -n crmd-oes`` running as two separate processes (PROTOCOL.md §7, §9).

The frames are the golden vectors: the seed ``client_logon`` dumps of the reference
README and the client transactions of ``transaction.json``, changed only where the
reference client differs at run time (each change is explained where it is made).

Two ways of starting the servers:

* ``servers`` - free loopback ports found by binding port 0, passed with
  ``--listen tcp:PORT:interface=127.0.0.1`` and ``--oes 127.0.0.1:PORT``, so the test
  runs anywhere, in parallel with anything;
* ``default_servers`` - literally no options (the defaults are tcp:4444 and
  127.0.0.1:4445 / tcp:4445, the acceptance criterion "with no options"); skipped
  when 4444 or 4445 is already taken on this host.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmd_twisted.wire import ClientLogon, Transaction, decode
from crmd_twisted.wire.enums import LoginStatus, LogonType, RejectCode, TransactionType

from tests.proc_helpers import (
    HOST,
    FrameSocket,
    Server,
    free_port,
    port_is_free,
    start_twistd,
    stop,
    wait_listening,
)

VECTORS = Path(__file__).parent / "vectors"


def vectors(message: str) -> list[dict[str, Any]]:
    data = json.loads((VECTORS / f"{message}.json").read_text())
    return list(data["vectors"])


SEED_LOGONS = [v for v in vectors("client_logon") if v["source"] == "seed"]
TRANSACTIONS = vectors("transaction")
#: What the reference client's manager sends: client transactions (NEW of each order
#: type, CANCEL_REPLACE, ORDER_CANCEL) - plus the one reference-example frame.
CLIENT_TRANSACTIONS = [
    v
    for v in TRANSACTIONS
    if v["description"].startswith("client ") or v["source"] == "reference_example"
]
#: The reference's order builder sets attribute HIDDEN (§9).
REFERENCE_ATTRIBUTES = "NYNNNNNNNNNN"


class Exchange:
    """Where the AES and OES processes listen."""

    def __init__(self, aes: Server, oes: Server, aes_port: int, oes_port: int) -> None:
        self.aes, self.oes = aes, oes
        self.aes_port, self.oes_port = aes_port, oes_port


def start_pair(
    tmp: Path, aes_args: list[str], oes_args: list[str], ports: tuple[int, int]
) -> Iterator[Exchange]:
    aes = start_twistd("crmd-aes", aes_args, tmp)
    oes = start_twistd("crmd-oes", oes_args, tmp)
    try:
        wait_listening(aes, ports[0])
        wait_listening(oes, ports[1])
        yield Exchange(aes, oes, *ports)
    finally:
        stop(aes)
        stop(oes)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exchange]:
    tmp = tmp_path_factory.mktemp("twistd")
    aes_port, oes_port = free_port(), free_port()
    yield from start_pair(
        tmp,
        ["--listen", f"tcp:{aes_port}:interface={HOST}", "--oes", f"{HOST}:{oes_port}"],
        ["--listen", f"tcp:{oes_port}:interface={HOST}"],
        (aes_port, oes_port),
    )


@pytest.fixture(scope="module")
def default_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exchange]:
    if not (port_is_free(4444) and port_is_free(4445)):
        pytest.skip("the default ports 4444/4445 are in use on this host")
    tmp = tmp_path_factory.mktemp("twistd-defaults")
    yield from start_pair(tmp, [], [], (4444, 4445))


# -- the reference client's frames --------------------------------------------------------


def aes_logon_frame(seed: dict[str, Any]) -> bytes:
    """The seed logon as the reference client sends it to the AES.

    The AES (``server.check_logon``) validates, in order: ``sending_time`` within
    now +/- 1 day (reject 21), the (account, user_name) pair in its directory (open to
    anyone without ``--accounts``), the account not disabled, and ``two_fa`` only for
    accounts whose API key it knows.  It ignores ``trading_session_id`` (506),
    ``last_seq_num`` (1500201), the "1" addresses and ``session_key`` of the seed dumps.
    The seeds were printed with ``sending_time`` 0; the reference's ``client_logon``
    builder fills a real time at run time (§9), so that is the one field changed.
    """
    fields = dict(seed["fields"])
    fields["sending_time"] = time.time_ns()
    return ClientLogon.from_fields(fields).encode()


def oes_logon_frame(seed: dict[str, Any], aes_reply: ClientLogon) -> bytes:
    """The logon the reference client then sends to the OES (§7.3, §9): the same
    builder with the AES reply's key, ``trading_session_id`` 0 and a real time."""
    fields = dict(seed["fields"])
    fields["sending_time"] = time.time_ns()
    fields["session_key"] = aes_reply.session_key
    fields["trading_session_id"] = 0
    return ClientLogon.from_fields(fields).encode()


def reference_order_frame(vector: dict[str, Any], oes_key: int) -> bytes:
    """A transaction vector as the reference client's order builder emits it (§9):
    ``message_type``, ``account``, ``order_id`` and ``sending_time`` 0, attribute HIDDEN,
    ``trading_session_id`` 0, and the OES reply's key (§7.3)."""
    fields = dict(vector["fields"])
    fields.update(
        message_type=0,
        account=0,
        order_id=0,
        sending_time=0,
        trading_session_id=0,
        attributes=REFERENCE_ATTRIBUTES,
        session_key=oes_key,
    )
    return Transaction.from_fields(fields).encode()


def parse_address(text: str) -> tuple[str, int]:
    """The reference client's parse of ``primary_oes_address`` (§7.2 step 4)."""
    parts = text.split(":")
    assert len(parts) == 2, text
    return parts[0], int(parts[1].strip("\x00"))


# -- the flow -----------------------------------------------------------------------------


def aes_logon(exchange: Exchange, seed: dict[str, Any]) -> tuple[FrameSocket, ClientLogon]:
    aes = FrameSocket(HOST, exchange.aes_port)
    aes.send(aes_logon_frame(seed))
    (reply,) = aes.read()
    assert isinstance(reply, ClientLogon)
    assert reply.logon_type == LogonType.LOGIN
    assert reply.login_status == LoginStatus.SUCCESS, reply
    assert reply.reject_reason in (0, RejectCode.ACCEPTED)
    assert reply.account == seed["fields"]["account"]
    assert reply.user_name == seed["fields"]["user_name"]
    assert reply.session_key != 0 and reply.trading_session_id != 0
    assert parse_address(reply.primary_oes_address) == (HOST, exchange.oes_port)
    return aes, reply


def oes_logon(
    exchange: Exchange, seed: dict[str, Any], aes_reply: ClientLogon
) -> tuple[FrameSocket, ClientLogon]:
    host, port = parse_address(aes_reply.primary_oes_address)
    oes = FrameSocket(host, port)
    oes.send(oes_logon_frame(seed, aes_reply))
    (reply,) = oes.read()
    assert isinstance(reply, ClientLogon)
    assert reply.login_status == LoginStatus.SUCCESS, reply
    assert reply.reject_reason in (0, RejectCode.ACCEPTED)
    # trading_session_id 0 means "the session of this key" (§7.3)
    assert reply.trading_session_id == aes_reply.trading_session_id
    assert reply.session_key != 0
    return oes, reply


def play_reference_client(exchange: Exchange, seed: dict[str, Any]) -> None:
    aes, aes_reply = aes_logon(exchange, seed)
    oes, oes_reply = oes_logon(exchange, seed, aes_reply)
    try:
        sent = [reference_order_frame(v, oes_reply.session_key) for v in CLIENT_TRANSACTIONS]
        for frame in sent:  # the reference sends one a second; pipelined here
            oes.send(frame)
        answers = oes.read(len(sent))
        for vector, frame, answer in zip(CLIENT_TRANSACTIONS, sent, answers, strict=True):
            what = vector["description"]
            assert isinstance(answer, Transaction), (what, answer)
            assert answer.message_type == TransactionType.REJECT, (what, answer)
            assert answer.reject_reason == RejectCode.MSG_TYPE_INVALID, (what, answer)
            # the answer echoes the request, changing only these (§7.5.2)
            changed = {"message_type", "sending_time", "msg_seq_num", "reject_reason"}
            request = decode(frame).to_fields()
            echoed = {k: v for k, v in answer.to_fields().items() if k not in changed}
            assert echoed == {k: v for k, v in request.items() if k not in changed}, what
        # still logged on: nothing else arrives, the OES keeps the connection
        assert not oes.closed_by_peer(timeout=0.2)
    finally:
        oes.close()
        aes.close()


@pytest.mark.parametrize("seed", SEED_LOGONS, ids=["seed1", "seed2"])
def test_reference_client_flow(servers: Exchange, seed: dict[str, Any]) -> None:
    play_reference_client(servers, seed)


def test_seed_logon_unchanged_is_refused_for_its_sending_time(servers: Exchange) -> None:
    """Why the seeds need a current ``sending_time``: as dumped (0) the AES refuses them
    with SENDING_TIME_INVALID (21) and closes (§7.2, §7.9)."""
    seed = SEED_LOGONS[0]
    aes = FrameSocket(HOST, servers.aes_port)
    try:
        aes.send(bytes.fromhex(seed["hex"]))
        (reply,) = aes.read()
        assert reply.login_status == LoginStatus.FAILURE
        assert reply.reject_reason == RejectCode.SENDING_TIME_INVALID
        assert aes.closed_by_peer()
    finally:
        aes.close()


def test_reference_example_order_ack_from_a_client_is_rejected(servers: Exchange) -> None:
    """The reference example OES's ORDER_ACK frame, sent back byte for byte by a
    logged-on client: its key is not the session's, so INVALID_KEY (4) - still an answer."""
    seed = SEED_LOGONS[1]
    aes, aes_reply = aes_logon(servers, seed)
    oes, _ = oes_logon(servers, seed, aes_reply)
    try:
        (example,) = [v for v in TRANSACTIONS if v["source"] == "reference_example"]
        oes.send(bytes.fromhex(example["hex"]))
        (answer,) = oes.read()
        assert answer.message_type == TransactionType.REJECT
        assert answer.reject_reason == RejectCode.INVALID_KEY
        assert answer.order_id == example["fields"]["order_id"]
    finally:
        oes.close()
        aes.close()


def test_reference_client_flow_with_default_options(default_servers: Exchange) -> None:
    """``twistd -n crmd-aes`` and ``twistd -n crmd-oes`` with no options at all."""
    play_reference_client(default_servers, SEED_LOGONS[0])
