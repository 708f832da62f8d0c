"""The admin HTTP API: JSON over ``twisted.web`` (docs/admin-api.md).

:class:`ExchangeControl` gathers what the API works on (engine, OES core,
sessions, faults, trade tape, mass cancel, uptime clock); :func:`admin_site`
serves it as a :class:`twisted.web.server.Site`::

    control = ExchangeControl.for_core(core, sessions=registry)
    site = admin_site(control, token="s3cret")
    endpoint.listen(site)

The resource tree is plain :class:`twisted.web.resource.Resource` subclasses
(Klein would add a dependency for routing that a dozen fixed paths do not
need).  Every answer is JSON; every error is ``{"error": "one line"}`` with
its status: 400 bad input, 401 missing/wrong token, 404 unknown path or name,
405 wrong method, 413 body too large, 500 (logged) if a handler fails - a
request never takes the exchange down.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from crmd_twisted.control.cancel import mass_cancel
from crmd_twisted.control.faults import (
    FaultError,
    FaultRegistry,
    ImmediateKind,
    ServerKind,
    SessionIdentity,
)
from crmd_twisted.control.sessions import SessionRegistry
from crmd_twisted.control.tape import TradeTape
from crmd_twisted.control.views import (
    DEFAULT_DEPTH,
    DEFAULT_TRADES,
    MAX_DEPTH,
    MAX_TRADES,
    BadParameter,
    UnknownName,
    account_view,
    book_view,
    health_view,
    instruments_view,
    parse_account,
    parse_count,
    resolve_symbol,
    sessions_view,
    trades_view,
)
from crmd_twisted.engine import MatchingEngine
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.webconsole.resource import install_console
from crmd_twisted.webconsole.stream import ConsoleHub

__all__ = [
    "MAX_BODY",
    "ApiError",
    "ExchangeControl",
    "admin_resource",
    "admin_site",
    "throttled_limit",
]

log = Logger()

#: Largest request body accepted (bytes); a fault or cancel body is tiny.
MAX_BODY = 64 * 1024
_JSON = b"application/json; charset=utf-8"
_METHODS = ("GET", "POST", "DELETE")


class ApiError(Exception):
    """An answer other than success: HTTP *status* and one line for a person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(eq=False)
class ExchangeControl:
    """Everything the admin API reads and acts on.

    ``mass_cancel(account or None, symbol_enum or 0) -> cancelled`` cancels
    through the engine and tells the owners.  Adding a fault runs its
    immediate effects (logouts, drops) on the live sessions at once.
    """

    engine: MatchingEngine
    core: OrderEntryCore | None
    faults: FaultRegistry
    tape: TradeTape
    sessions: SessionRegistry
    mass_cancel: Callable[[int | None, int], int]
    #: seconds, monotonic (uptime)
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    #: sessions acted on when each fault was added (fault id -> count)
    affected: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.started = self.clock()
        self.faults.on_added(lambda fault: self._added(fault.id))

    @classmethod
    def for_core(
        cls,
        core: OrderEntryCore,
        *,
        faults: FaultRegistry | None = None,
        tape: TradeTape | None = None,
        sessions: SessionRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> ExchangeControl:
        """A control over an OES core (its engine; mass cancel through the core).

        Wires the core: the trade tape sees every engine event the core publishes
        (``core.observers``: transactions, ticks, mass cancels - each once) and the
        ``throttle`` faults set the outstanding-request limit (``core.limit_for``).
        """
        tape = tape if tape is not None else TradeTape()
        faults = faults if faults is not None else FaultRegistry(clock=clock)
        core.observers.append(tape.record)
        core.limit_for = throttled_limit(faults)
        return cls(
            engine=core.engine,
            core=core,
            faults=faults,
            tape=tape,
            sessions=sessions if sessions is not None else SessionRegistry(),
            mass_cancel=partial(mass_cancel, core),
            clock=clock,
        )

    def uptime(self) -> float:
        return self.clock() - self.started

    def _added(self, fault_id: str) -> None:
        self.affected[fault_id] = self.apply_immediate()

    def apply_immediate(self) -> int:
        """Carry out what the new faults do now (logouts, drops); sessions acted on."""
        actions = self.faults.take_immediate(entry.identity for entry in self.sessions)
        count = 0
        for action in actions:
            for entry in self.sessions.with_identity(action.session):
                count += 1
                log.info(
                    "fault: {kind} of {server} session {peer} (account {account})",
                    kind=action.kind.value, server=entry.server.value, peer=entry.peer,
                    account=entry.account,
                )
                if action.kind is ImmediateKind.LOGOUT:
                    entry.logout(action.code)
                else:
                    entry.abort()
        return count


def throttled_limit(faults: FaultRegistry) -> Callable[[Session], int]:
    """``OrderEntryCore.limit_for`` under *faults*: a session's own limit unless a
    ``throttle`` fault matches it (cheap while no fault is active)."""
    oes = ServerKind.OES

    def limit_for(session: Session) -> int:
        if not faults:
            return session.open_order_limit
        identity = SessionIdentity(oes, session.account, session.user)
        return faults.limit_for(identity, session.open_order_limit)

    return limit_for


# --------------------------------------------------------------------------- plumbing


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, allow_nan=False).encode() + b"\n"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json(request: Request, *, empty: Any = None) -> Any:
    """The request body as JSON (*empty* if there is none); ApiError if unusable."""
    content = request.content
    raw = content.read(MAX_BODY + 1) if content is not None else b""
    if len(raw) > MAX_BODY:
        raise ApiError(413, f"request body over {MAX_BODY} bytes")
    if not raw.strip():
        return empty
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "bad JSON: the body is not UTF-8") from None
    except ValueError as e:
        raise ApiError(400, f"bad JSON: {e}") from None


def _query(request: Request, name: str) -> str | None:
    args: dict[bytes, list[bytes]] = request.args or {}
    values = args.get(name.encode())
    if not values:
        return None
    return values[-1].decode("utf-8", "replace")


def _segment(name: bytes) -> str:
    return name.decode("utf-8", "replace")


class JSONResource(Resource):
    """Answers with JSON: token check, method dispatch to ``GET()``/``POST()``/..., errors.

    A handler returns the payload (200), or ``(status, payload)``; payload None
    means no body (204).
    """

    isLeaf = True
    #: what a 404 for this resource says
    missing = "no such path"

    def __init__(self, api: AdminAPI) -> None:
        super().__init__()
        self.api = api

    def render(self, request: Request) -> bytes:
        try:
            self.api.authorize(request)
            status, payload = self._dispatch(request)
        except ApiError as e:
            status, payload = e.status, {"error": e.message}
        except UnknownName as e:
            status, payload = 404, {"error": str(e)}
        except (BadParameter, FaultError) as e:
            status, payload = 400, {"error": str(e)}
        except Exception as e:
            log.failure("admin API: {method} {path} failed", method=request.method,
                        path=request.path)
            status, payload = 500, {"error": f"internal error: {type(e).__name__}: {e}"}
        request.setResponseCode(status)
        request.setHeader(b"cache-control", b"no-store")
        if status == 401:
            request.setHeader(b"www-authenticate", b'Bearer realm="crmd-admin"')
        if payload is None:
            return b""
        request.setHeader(b"content-type", _JSON)
        return _json_bytes(payload)

    def _dispatch(self, request: Request) -> tuple[int, Any]:
        if self.isLeaf and [p for p in request.postpath or () if p]:
            raise ApiError(404, f"{self.missing}: {_segment(request.path)}")
        method = (request.method or b"").decode("ascii", "replace")
        handler = getattr(self, method, None) if method in _METHODS else None
        if handler is None:
            allowed = [m for m in _METHODS if hasattr(self, m)]
            if not allowed:
                raise ApiError(404, f"{self.missing}: {_segment(request.path)}")
            request.setHeader(b"allow", ", ".join(allowed).encode())
            raise ApiError(405, f"{method} not allowed here (use {', '.join(allowed)})")
        result = handler(request)
        if isinstance(result, tuple):
            return result
        return (204 if result is None else 200), result


class NotFound(JSONResource):
    """Any path the API does not have."""


class Directory(JSONResource):
    """A path with fixed children; unknown children are 404s."""

    isLeaf = False

    def getChild(self, path: bytes, request: Request) -> Resource:
        return self if not path else NotFound(self.api)


class _NamedChildren(Directory):
    """``/collection/{name}``: every name builds a child resource."""

    child_type: type[_Named]

    def getChild(self, path: bytes, request: Request) -> Resource:
        if not path:
            return self
        return self.child_type(self.api, _segment(path))


class _Named(JSONResource):
    def __init__(self, api: AdminAPI, name: str) -> None:
        super().__init__(api)
        self.name = name


# --------------------------------------------------------------------------- the paths


class Health(JSONResource):
    def GET(self, request: Request) -> Any:
        control = self.api.control
        return health_view(control.uptime(), len(control.sessions))


class Instruments(JSONResource):
    def GET(self, request: Request) -> Any:
        return instruments_view(self.api.control.engine)


class Book(_Named):
    def GET(self, request: Request) -> Any:
        engine = self.api.control.engine
        depth = parse_count(_query(request, "depth"), "depth", DEFAULT_DEPTH, MAX_DEPTH)
        return book_view(engine, resolve_symbol(engine, self.name), depth)


class Books(_NamedChildren):
    child_type = Book
    missing = "name a symbol: /api/v1/book/{symbol}"


class Trades(_Named):
    def GET(self, request: Request) -> Any:
        control = self.api.control
        limit = parse_count(_query(request, "limit"), "limit", DEFAULT_TRADES, MAX_TRADES)
        return trades_view(control.tape, resolve_symbol(control.engine, self.name), limit)


class TradesDir(_NamedChildren):
    child_type = Trades
    missing = "name a symbol: /api/v1/trades/{symbol}"


class Sessions(JSONResource):
    def GET(self, request: Request) -> Any:
        return sessions_view(self.api.control.sessions)


class AccountResource(_Named):
    def GET(self, request: Request) -> Any:
        core = self.api.control.core
        if core is None:
            raise ApiError(404, "this server has no order entry core")
        return account_view(core, parse_account(self.name))


class Accounts(_NamedChildren):
    child_type = AccountResource
    missing = "name an account: /api/v1/accounts/{account}"


class MassCancel(JSONResource):
    def POST(self, request: Request) -> Any:
        body = read_json(request, empty={})
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        unknown = sorted(set(body) - {"account", "symbol"})
        if unknown:
            raise ApiError(400, f"unknown field '{unknown[0]}' (takes account, symbol)")
        account = body.get("account")
        if account is not None and (
            isinstance(account, bool) or not isinstance(account, int) or account <= 0
        ):
            raise ApiError(400, f"'account' must be a positive integer, got {account!r}")
        symbol = body.get("symbol")
        control = self.api.control
        symbol_enum = 0
        if symbol is not None:
            if isinstance(symbol, bool) or not isinstance(symbol, (str, int)):
                raise ApiError(400, f"'symbol' must be a name or number, got {symbol!r}")
            symbol_enum = resolve_symbol(control.engine, str(symbol)).symbol_enum
        cancelled = control.mass_cancel(account, symbol_enum)
        log.info("admin API: mass cancel account={account} symbol={symbol}: {n} orders",
                 account=account, symbol=symbol, n=cancelled)
        return {"cancelled": cancelled}


class FaultResource(_Named):
    def _fault(self) -> Any:
        faults = self.api.control.faults
        fault = faults.get(self.name)
        if fault is None:
            raise UnknownName(f"no fault {self.name!r} (expired or removed?)")
        return fault

    def GET(self, request: Request) -> Any:
        faults = self.api.control.faults
        return self._fault().to_json(faults.clock())

    def DELETE(self, request: Request) -> Any:
        self._fault().remove()
        log.info("admin API: fault {id} removed", id=self.name)
        return None


class Faults(_NamedChildren):
    child_type = FaultResource

    def GET(self, request: Request) -> Any:
        return self.api.control.faults.as_json()

    def POST(self, request: Request) -> Any:
        body = read_json(request)
        control = self.api.control
        fault = control.faults.add_json(body)
        log.info("admin API: fault {fault!r} added", fault=fault)
        request.setHeader(b"location", f"/api/v1/faults/{fault.id}".encode())
        payload = fault.to_json(control.faults.clock())
        affected = control.affected.pop(fault.id, 0)
        if fault.immediate:
            payload["affected_sessions"] = affected
        return 201, payload

    def DELETE(self, request: Request) -> Any:
        removed = self.api.control.faults.clear()
        log.info("admin API: {n} fault(s) cleared", n=removed)
        return {"removed": removed}


class AdminAPI:
    """The shared state of one admin site: the control and the token."""

    def __init__(self, control: ExchangeControl, token: str | None = None) -> None:
        self.control = control
        self._expected = None if not token else b"Bearer " + token.encode()

    def authorize(self, request: Request) -> None:
        if self._expected is None:
            return
        given = request.getHeader(b"authorization") or b""
        if not hmac.compare_digest(given, self._expected):
            raise ApiError(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)")


def admin_resource(
    control: ExchangeControl, token: str | None = None, *, console: ConsoleHub | None = None
) -> Resource:
    """The root resource of the admin API (``/api/v1/...``) and the web console (``/``).

    *console* is the console's hub (its live stream); one is made if not given.
    """
    api = AdminAPI(control, token)
    v1 = Directory(api)
    v1.putChild(b"health", Health(api))
    v1.putChild(b"instruments", Instruments(api))
    v1.putChild(b"book", Books(api))
    v1.putChild(b"trades", TradesDir(api))
    v1.putChild(b"sessions", Sessions(api))
    v1.putChild(b"accounts", Accounts(api))
    orders = Directory(api)
    orders.putChild(b"cancel", MassCancel(api))
    v1.putChild(b"orders", orders)
    v1.putChild(b"faults", Faults(api))
    api_dir = Directory(api)
    api_dir.putChild(b"v1", v1)
    root = Directory(api)
    root.putChild(b"api", api_dir)
    install_console(root, v1, console if console is not None else ConsoleHub(control), token)
    return root


def admin_site(
    control: ExchangeControl, token: str | None = None, *, console: ConsoleHub | None = None
) -> Site:
    """A :class:`~twisted.web.server.Site` serving the admin API and the web console."""
    site = Site(admin_resource(control, token, console=console))
    site.displayTracebacks = False
    return site
