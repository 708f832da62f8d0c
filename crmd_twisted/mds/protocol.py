"""The MDS on the network: a thin Twisted shell around :class:`~.core.MarketDataCore`.

:class:`MDSFactory` is fed by whoever drives the engine (in the simulator, the
OES core, in event order): ``factory.on_events(events)`` after every engine
call.  That costs O(1) per event; the frames are built by one flush per
reactor turn (``callLater(0)`` coalescing), so order entry never waits for
market data.  Each :class:`MDSProtocol` registers itself with its transport as
an ``IPushProducer``: the transport's ``pauseProducing`` / ``resumeProducing``
tell the core when that subscriber can take more (see the core for conflation
and the trade backlog).
"""

from __future__ import annotations

from collections.abc import Iterable

from twisted.internet.interfaces import IConsumer, IDelayedCall, IPushProducer, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure
from zope.interface import implementer

from crmd_twisted.mds.core import (
    Disconnect,
    MarketDataCore,
    MarketDataDecision,
    Refused,
    Send,
    SlotSkipped,
    Subscribed,
    Subscriber,
    Unsubscribed,
)
from crmd_twisted.protocol import CRMDFactory
from crmd_twisted.server import CRMDServerProtocol
from crmd_twisted.wire import ClientLogon, MdSubscribe, Message
from crmd_twisted.wire.enums import RejectCode

__all__ = ["MDSFactory", "MDSProtocol"]


@implementer(IPushProducer)
class MDSProtocol(CRMDServerProtocol):
    """One subscriber connection.  The first accepted ``md_subscribe`` counts as its logon."""

    serverName = "MDS"

    factory: MDSFactory

    def __init__(self) -> None:
        super().__init__()
        self.subscriber: Subscriber | None = None

    def connectionMade(self) -> None:
        super().connectionMade()
        self.subscriber = self.factory.core.connect(self)
        if IConsumer.providedBy(self.transport):
            self.transport.registerProducer(self, True)

    def connectionLost(self, reason: Failure | None = None) -> None:
        if self.subscriber is not None:
            self.factory.core.disconnect(self.subscriber)
        super().connectionLost(reason)

    # -- IPushProducer: the transport tells when this subscriber can take more --------------

    def pauseProducing(self) -> None:
        if self.subscriber is not None:
            self.factory.core.pause(self.subscriber)

    def resumeProducing(self) -> None:
        if self.subscriber is not None and self.subscriber.alive:
            self.factory.core.resume(self.subscriber)
            self.factory.scheduleFlush()

    def stopProducing(self) -> None:
        """The connection is going away; :meth:`connectionLost` cleans up."""

    # -- requests ----------------------------------------------------------------------------

    def msg_md_subscribe(self, message: MdSubscribe) -> None:
        if self.subscriber is None or self._closing:
            return
        decisions = self.factory.core.subscribe(self.subscriber, message)
        if not any(isinstance(d, Refused) for d in decisions):
            self.logonSucceeded()  # the key checked out: no logon deadline any more
            # md_subscribe names no user: MDS sessions match faults by account only
            sub = self.subscriber
            self.controlLoggedOn(sub.account, "", sub.trading_session_id)
        self.factory.apply(decisions)
        if self.factory.core.due:
            self.factory.scheduleFlush()

    def drop(self) -> None:
        """Close at once, dropping unsent data (a laggard never drains its buffer)."""
        self.loseConnection()
        abort = getattr(self.transport, "abortConnection", None)
        if abort is not None:
            abort()

    def logonRequested(self, message: ClientLogon) -> None:
        self.log.info(
            "{peer}: the MDS needs no client_logon (md_subscribe carries the key); ignored",
            peer=self.peer,
        )

    def unhandledMessage(self, message: Message) -> None:
        self.log.warn(
            "{peer}: the MDS only takes md_subscribe; ignored {name} ({type_char!r})",
            peer=self.peer,
            name=message.NAME,
            type_char=message.TYPE_CHAR,
        )

    def logoutMessage(self, reason: RejectCode) -> ClientLogon:
        msg = super().logoutMessage(reason)
        if self.subscriber is not None:
            msg.account = self.subscriber.account
            msg.trading_session_id = self.subscriber.trading_session_id
        return msg

    # -- sending -----------------------------------------------------------------------------

    def sendMessage(self, message: Message) -> None:
        """Number the frames that have ``msg_seq_num`` 1, 2, 3 ...; send the others as they are.

        ``three_level_data`` and ``five_level_data`` have no sequence field.
        """
        if isinstance(message, ClientLogon) or "msg_seq_num" in message.FIELD_NAMES:
            super().sendMessage(message)
        elif self.faults is not None:
            self.faults.send(message, numbered=False)
        elif self.transport is not None:
            self.transport.write(message.encode())


class MDSFactory(CRMDFactory):
    """Builds :class:`MDSProtocol` connections on one :class:`MarketDataCore`."""

    protocol = MDSProtocol

    #: Seconds between idle flushes (they expire old trades from the 24 h statistics).
    tickInterval: float = 60.0

    def __init__(
        self, core: MarketDataCore, *, clock: IReactorTime | None = None, wireTrace: bool = False
    ) -> None:
        super().__init__(clock=clock, wireTrace=wireTrace)
        self.core = core
        self._flushCall: IDelayedCall | None = None
        self._ticker: LoopingCall | None = None

    def _reactor(self) -> IReactorTime:
        if self.clock is not None:
            return self.clock
        from twisted.internet import reactor

        return reactor

    def startFactory(self) -> None:
        self._ticker = LoopingCall(self.flush)
        self._ticker.clock = self._reactor()
        self._ticker.start(self.tickInterval, now=False)

    def stopFactory(self) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        self._ticker = None
        if self._flushCall is not None and self._flushCall.active():
            self._flushCall.cancel()
        self._flushCall = None

    # -- the seam the engine's driver calls ------------------------------------------------

    def on_events(self, events: Iterable[object]) -> None:
        """The engine's events of one command, in order; frames follow this reactor turn."""
        core = self.core
        core.on_events(events)
        if self._flushCall is None and core.due:
            self._flushCall = self._reactor().callLater(0, self.flush)

    def disconnectAll(self, reason: RejectCode | None = None) -> None:
        """Close every subscriber connection: with a server logout carrying *reason*,
        or cut at once (None, like a crash)."""
        for proto in list(self.connections):
            assert isinstance(proto, MDSProtocol)
            if reason is not None:
                proto.serverLogout(reason)
            else:
                proto.drop()

    def scheduleFlush(self) -> None:
        """Flush once this reactor turn ends (several requests share one flush)."""
        if self._flushCall is None:
            self._flushCall = self._reactor().callLater(0, self.flush)

    def flush(self) -> None:
        """Send what is due now."""
        if self._flushCall is not None and self._flushCall.active():
            self._flushCall.cancel()
        self._flushCall = None
        self.apply(self.core.flush())

    def apply(self, decisions: Iterable[MarketDataDecision]) -> None:
        """Carry the core's decisions out: write, log, log out or drop."""
        for d in decisions:
            proto = d.subscriber.owner
            assert isinstance(proto, MDSProtocol)
            if isinstance(d, Send):
                for message in d.messages:
                    proto.sendMessage(message)
            elif isinstance(d, Disconnect):
                proto.log.warn(
                    "{peer}: disconnecting market-data subscriber: {reason} ({backlog} trades)",
                    peer=proto.peer, reason=str(d.reason), backlog=d.backlog,
                )  # fmt: skip
                proto.drop()
            elif isinstance(d, Refused):
                proto.log.info(
                    "{peer}: md_subscribe of account {account} refused: {reason}",
                    peer=proto.peer, account=d.subscriber.account, reason=d.reason.name,
                )  # fmt: skip
                proto.serverLogout(d.reason)
            elif isinstance(d, SlotSkipped):
                slot = d.subscription
                proto.log.warn(
                    "{peer}: md_subscribe slot {slot} skipped: {reason} (symbol_enum "
                    "{symbol_enum}, symbol {symbol!r}, action {action!r})",
                    peer=proto.peer, slot=d.slot, reason=str(d.reason),
                    symbol_enum=slot.symbol_enum, symbol=slot.symbol, action=slot.action,
                )  # fmt: skip
            elif isinstance(d, Subscribed):
                proto.log.info(
                    "{peer}: subscribed to {symbol_enum} at depth {depth}",
                    peer=proto.peer, symbol_enum=d.symbol_enum, depth=int(d.depth),
                )  # fmt: skip
            elif isinstance(d, Unsubscribed):
                proto.log.info(
                    "{peer}: unsubscribed from {symbol_enum} at depth {depth}",
                    peer=proto.peer, symbol_enum=d.symbol_enum, depth=int(d.depth),
                )  # fmt: skip
