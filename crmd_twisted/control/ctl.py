"""``crmd-ctl``: the admin API from a console (docs/admin-api.md).

    crmd-ctl book BTCUSD
    crmd-ctl trades BTCUSD --limit 20
    crmd-ctl sessions
    crmd-ctl fault add delay --seconds 0.5 --account 1001
    crmd-ctl fault list | fault remove f1 | fault clear
    crmd-ctl cancel --account 1001

``--url`` (or ``CRMD_ADMIN_URL``, default http://127.0.0.1:4480) and
``--token`` (or ``CRMD_ADMIN_TOKEN``) say where and how to connect; ``--json``
prints the API's JSON instead of tables.  Every failure is one line on stderr
and exit status 1.  Plain ``urllib`` - no reactor needed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn, TextIO

from crmd_twisted.control.fault_schema import SCHEMAS, FaultKind, ParamType

__all__ = ["CtlError", "main"]

PROG = "crmd-ctl"
DEFAULT_URL = "http://127.0.0.1:4480"


class CtlError(Exception):
    """A failure to report in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CtlError(f"{message} (see {self.prog} --help)")


# --------------------------------------------------------------------------- HTTP


def call(args: argparse.Namespace, method: str, path: str, body: Any = None) -> Any:
    """One API request; the decoded JSON answer (None for 204) or CtlError."""
    url = args.url.rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("accept", "application/json")
    if data is not None:
        request.add_header("content-type", "application/json")
    if args.token:
        request.add_header("authorization", f"Bearer {args.token}")
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        raise CtlError(f"{e.code}: {_error_text(e.read())}") from None
    except urllib.error.URLError as e:
        reason = getattr(e.reason, "strerror", None) or e.reason
        raise CtlError(f"cannot reach {args.url}: {reason}") from None
    except TimeoutError:
        raise CtlError(f"no answer from {args.url} within {args.timeout} s") from None
    except OSError as e:
        raise CtlError(f"cannot talk to {args.url}: {e.strerror or e}") from None
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise CtlError(f"{url} did not answer JSON (is it the admin API?)") from None


def _error_text(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"])
    except (ValueError, KeyError, TypeError):
        return raw.decode("utf-8", "replace").strip().splitlines()[0] if raw.strip() else "?"


# --------------------------------------------------------------------------- output


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = [bool(rows) and all(isinstance(r[i], (int, float)) for r in rows)
               for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w)
                 for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _time(ns: object) -> str:
    if not isinstance(ns, int):
        return "-"
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def show_health(data: Any) -> str:
    return f"{data['status']}, up {data['uptime_s']:.1f} s, {data['sessions']} session(s)"


def show_instruments(data: Any) -> str:
    keys = ["symbol_enum", "symbol", "base", "quote", "price_increment", "min_size",
            "max_size", "lot_size"]
    return table(["#", "symbol", "base", "quote", "tick", "min", "max", "lot"],
                 [[i.get(k) for k in keys] for i in data])


def show_book(data: Any) -> str:
    bids, asks = data["bids"], data["asks"]
    rows = []
    for i in range(max(len(bids), len(asks))):
        b = bids[i] if i < len(bids) else {}
        a = asks[i] if i < len(asks) else {}
        rows.append([b.get("orders"), b.get("size"), b.get("price"), a.get("price"),
                     a.get("size"), a.get("orders")])
    title = (f"{data['symbol']} ({data['symbol_enum']})  last trade: "
             f"{_cell(data['last_trade_price'])}")
    if not rows:
        return f"{title}\n(empty book)"
    return title + "\n" + table(["orders", "bid size", "bid", "ask", "ask size", "orders"], rows)


def show_trades(data: Any) -> str:
    if not data:
        return "(no trades)"
    return table(["time (UTC)", "side", "price", "size"],
                 [[_time(t["time_ns"]), t["aggressor_side"], t["price"], t["size"]]
                  for t in data])


def show_sessions(data: Any) -> str:
    if not data:
        return "(no sessions)"
    return table(["server", "account", "user", "session", "peer", "connected (UTC)"],
                 [[s["server"], s["account"], s["user"], s["trading_session_id"], s["peer"],
                   _time(s["connected_ns"])] for s in data])


def show_account(data: Any) -> str:
    out = [f"account {data['account']}"]
    out.append(table(["currency", "balance", "reserved", "available"],
                     [[c, b["balance"], b["reserved"], b["available"]]
                      for c, b in data["balances"].items()]))
    orders = data["open_orders"]
    if orders:
        out.append(table(["order", "symbol", "side", "type", "tif", "price", "open", "filled"],
                         [[o["order_id"], o["symbol"], o["side"], o["order_type"],
                           o["time_in_force"], o["price"], o["open_qty"], o["filled_qty"]]
                          for o in orders]))
    else:
        out.append("(no open orders)")
    return "\n".join(out)


_SCOPE = ("id", "kind", "account", "user", "server", "remaining", "ends_in_s",
          "affected_sessions")


def _params(fault: dict[str, Any]) -> str:
    return " ".join(f"{k}={_cell(v)}" for k, v in fault.items() if k not in _SCOPE) or "-"


def show_faults(data: Any) -> str:
    if not data:
        return "(no faults)"
    return table(["id", "kind", "account", "user", "server", "parameters", "left"],
                 [[f["id"], f["kind"], f["account"], f["user"], f["server"], _params(f),
                   f.get("remaining", f.get("ends_in_s"))] for f in data])


def show_added(data: Any) -> str:
    text = f"added {data['id']}: {data['kind']} {_params(data)}"
    if "affected_sessions" in data:
        text += f" ({data['affected_sessions']} session(s) affected)"
    return text


# --------------------------------------------------------------------------- commands


def _fault_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": args.kind}
    for key in ("account", "user", "server", *_PARAM_TYPES):
        value = getattr(args, key, None)
        if value is not None:
            body[key] = value
    return body


Command = Callable[[argparse.Namespace], tuple[Any, Callable[[Any], str]]]

_COMMANDS: dict[str, Command] = {
    "health": lambda a: (call(a, "GET", "/api/v1/health"), show_health),
    "instruments": lambda a: (call(a, "GET", "/api/v1/instruments"), show_instruments),
    "book": lambda a: (call(a, "GET", f"/api/v1/book/{_path(a.symbol)}?depth={a.depth}"),
                       show_book),
    "trades": lambda a: (call(a, "GET", f"/api/v1/trades/{_path(a.symbol)}?limit={a.limit}"),
                         show_trades),
    "sessions": lambda a: (call(a, "GET", "/api/v1/sessions"), show_sessions),
    "account": lambda a: (call(a, "GET", f"/api/v1/accounts/{a.number}"), show_account),
    "cancel": lambda a: (
        call(a, "POST", "/api/v1/orders/cancel",
             {k: v for k, v in (("account", a.account), ("symbol", a.symbol)) if v is not None}),
        lambda d: f"cancelled {d['cancelled']} order(s)",
    ),
    "fault add": lambda a: (call(a, "POST", "/api/v1/faults", _fault_body(a)), show_added),
    "fault list": lambda a: (call(a, "GET", "/api/v1/faults"), show_faults),
    "fault remove": lambda a: (call(a, "DELETE", f"/api/v1/faults/{_path(a.id)}"),
                               lambda d: f"removed {a.id}"),
    "fault clear": lambda a: (call(a, "DELETE", "/api/v1/faults"),
                              lambda d: f"removed {d['removed']} fault(s)"),
}


def _path(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


_PARAM_TYPES: dict[str, ParamType] = {
    spec.name: spec.type for specs in SCHEMAS.values() for spec in specs
}


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Look at and steer a crmd-twisted exchange "
                     "through its admin API.")
    parser.add_argument("--url", default=os.environ.get("CRMD_ADMIN_URL", DEFAULT_URL),
                        help=f"admin API address (env CRMD_ADMIN_URL, default {DEFAULT_URL})")
    parser.add_argument("--token", default=os.environ.get("CRMD_ADMIN_TOKEN"),
                        help="bearer token (env CRMD_ADMIN_TOKEN)")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("health", help="is it up, since when, how many sessions")
    sub.add_parser("instruments", help="the instruments")
    p = sub.add_parser("book", help="visible order book of one instrument")
    p.add_argument("symbol", help="name (BTCUSD) or symbol_enum (1)")
    p.add_argument("--depth", type=_positive, default=10)
    p = sub.add_parser("trades", help="recent trades of one instrument, newest last")
    p.add_argument("symbol")
    p.add_argument("--limit", type=_positive, default=20)
    sub.add_parser("sessions", help="live connections")
    p = sub.add_parser("account", help="balances and open orders")
    p.add_argument("number", type=_positive)
    p = sub.add_parser("cancel", help="mass cancel (every order unless narrowed)")
    p.add_argument("--account", type=_positive)
    p.add_argument("--symbol")
    fault = sub.add_parser("fault", help="inject faults: add, list, remove, clear")
    actions = fault.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = actions.add_parser("add", help="switch a fault on")
    add.add_argument("kind", choices=[k.value for k in FaultKind])
    add.add_argument("--account", type=_positive)
    add.add_argument("--user")
    add.add_argument("--server", choices=["aes", "oes", "mds"])
    for name, kind in _PARAM_TYPES.items():
        add.add_argument("--" + name.replace("_", "-"), dest=name,
                         type=int if kind is ParamType.INT else float)
    actions.add_parser("list", help="active faults")
    p = actions.add_parser("remove", help="switch one fault off")
    p.add_argument("id")
    actions.add_parser("clear", help="switch every fault off")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        args = build_parser().parse_args(argv)
        name = args.command if args.command != "fault" else f"fault {args.action}"
        data, show = _COMMANDS[name](args)
        text = json.dumps(data, indent=2) if args.json else show(data)
    except CtlError as e:
        err.write(f"{PROG}: {e}\n")
        return 1
    except (KeyError, TypeError) as e:
        err.write(f"{PROG}: unexpected answer from {args.url}: missing {e}\n")
        return 1
    out.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
