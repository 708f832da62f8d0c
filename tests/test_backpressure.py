"""Back-pressure of the protocol shell with StringTransport and task.Clock.

The transport pauses the protocol (its producer) when the unsent output is over
its buffer size: the protocol must stop reading, hold what it already received,
carry on in order when resumed, and abort the connection when the output stays
paused past the grace period or grows past the unsent bound.
"""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from crmd_twisted.protocol import CRMDProtocol
from crmd_twisted.session.limits import OutputGuard
from crmd_twisted.wire import InstrumentRequest, Message


class Recorder(CRMDProtocol):
    logFrames = False

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []
        self.stalls: list[str] = []

    def messageReceived(self, message: Message) -> None:
        self.seen.append(message.symbol_enum)  # type: ignore[attr-defined]

    def outputStalled(self, stall: object) -> None:
        self.stalls.append(str(stall))


def frame(n: int) -> bytes:
    return InstrumentRequest(symbol_enum=n, msg_seq_num=n).encode()


def connected(grace: float = 5.0, max_unsent: int = 1000) -> tuple[Recorder, StringTransport,
                                                                     Clock]:
    clock = Clock()
    proto = Recorder()
    proto.clock = clock
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.enableBackPressure(OutputGuard(grace, max_unsent), highWater=4096)
    return proto, transport, clock


def test_registers_as_streaming_producer() -> None:
    proto, transport, _ = connected()
    assert transport.producer is proto and transport.streaming


def test_paused_output_stops_reading_and_holds_received_messages_in_order() -> None:
    proto, transport, _ = connected()
    proto.dataReceived(frame(1))
    proto.pauseProducing()
    assert transport.producerState == "paused"  # the transport stops reading
    proto.dataReceived(frame(2) + frame(3))
    proto.dataReceived(frame(4))
    assert proto.seen == [1]
    proto.resumeProducing()
    assert transport.producerState == "producing"
    assert proto.seen == [1, 2, 3, 4]


def test_a_pause_in_the_middle_of_a_chunk_holds_the_rest() -> None:
    proto, _, _ = connected()
    original = proto.messageReceived

    def pausing(message: Message) -> None:
        original(message)
        if message.symbol_enum == 2:  # type: ignore[attr-defined]
            proto.pauseProducing()  # as a write over the buffer size does

    proto.messageReceived = pausing  # type: ignore[method-assign]
    proto.dataReceived(b"".join(frame(n) for n in range(1, 6)))
    assert proto.seen == [1, 2]
    proto.resumeProducing()
    assert proto.seen == [1, 2, 3, 4, 5]


def test_output_paused_past_the_grace_aborts() -> None:
    proto, transport, clock = connected(grace=5.0)
    proto.pauseProducing()
    clock.advance(4.9)
    assert not transport.disconnecting and proto.stalls == []
    clock.advance(0.2)
    assert proto.stalls == ["output stayed above the high-water mark"]
    assert transport.disconnecting
    proto.dataReceived(frame(9))
    assert proto.seen == []  # nothing is dispatched after the abort


def test_output_growing_past_the_bound_while_paused_aborts() -> None:
    proto, transport, _ = connected(max_unsent=600)
    proto.pauseProducing()
    proto.sendMessage(InstrumentRequest(symbol_enum=1))
    assert not transport.disconnecting
    for _ in range(20):
        proto.sendMessage(InstrumentRequest(symbol_enum=1))
    assert proto.stalls == ["output grew past the unsent bound"]
    assert transport.disconnecting


def test_resumed_in_time_keeps_the_connection() -> None:
    proto, transport, clock = connected(grace=5.0)
    proto.pauseProducing()
    clock.advance(3.0)
    proto.resumeProducing()
    clock.advance(10.0)
    assert not transport.disconnecting and proto.stalls == []


def test_lose_connection_unregisters_the_producer_so_the_transport_can_close() -> None:
    proto, transport, clock = connected(grace=2.0)
    proto.pauseProducing()
    proto.loseConnection()
    assert transport.producer is None
    clock.advance(2.1)  # the peer still does not read: aborted after the grace
    assert proto.stalls == ["output stayed above the high-water mark"]
