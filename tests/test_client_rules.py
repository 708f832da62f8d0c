"""Query matching and the routing / fail-over rules of the client, by plain calls."""

from __future__ import annotations

from crmd_twisted.client.queries import Match, Query, QueryKind, match_reply, query_result
from crmd_twisted.client.routing import (
    Grant,
    Refusal,
    after_oes_refusal,
    grant_from_reply,
    prefers_secondary_after_logout,
    targets,
)
from crmd_twisted.wire import (
    ClientLogon,
    CollateralData,
    InstrumentRequest,
    InstrumentResponse,
    RiskUserSymbol,
    Transaction,
)
from crmd_twisted.wire.enums import RejectCode, ResponseType, TransactionType

P = ("10.0.0.1", 4445)
S = ("10.0.0.2", 4446)


# -- queries ----------------------------------------------------------------------------------


def test_instruments_end_with_finish_and_an_echo_rejects() -> None:
    q = Query(QueryKind.INSTRUMENTS)
    first = InstrumentResponse(symbol_enum=1, response_type=ResponseType.SNAPSHOT_START)
    last = InstrumentResponse(symbol_enum=2, response_type=ResponseType.SNAPSHOT_FINISH)
    assert match_reply(q, first) is Match.PART
    assert match_reply(q, last) is Match.DONE
    assert query_result(q) == [first, last]
    q = Query(QueryKind.INSTRUMENTS)
    echo = InstrumentRequest(reject_reason=RejectCode.SYMBOL_ENUM_INVALID)
    assert match_reply(q, echo) is Match.REJECTED
    assert (q.reject_reason, q.reject_message) == (RejectCode.SYMBOL_ENUM_INVALID, echo)


def test_risk_list_ends_with_the_collateral_marker_and_tells_the_limit() -> None:
    q = Query(QueryKind.RISK)
    assert match_reply(q, RiskUserSymbol(symbol_enum=1, open_order_request_limit=3)) is Match.PART
    assert q.open_order_limit == 3
    assert match_reply(q, CollateralData(open_order_request_limit=5)) is Match.DONE
    assert q.open_order_limit == 5 and len(query_result(q)) == 1


def test_risk_or_collateral_for_an_unknown_symbol_is_rejected_by_the_marker() -> None:
    risk = Query(QueryKind.RISK, symbol_enum=99)
    assert match_reply(risk, CollateralData(symbol_enum=0)) is Match.REJECTED
    assert risk.reject_reason == RejectCode.SYMBOL_ENUM_INVALID
    coll = Query(QueryKind.COLLATERAL, symbol_enum=99)
    assert match_reply(coll, CollateralData(symbol_enum=0)) is Match.REJECTED
    ok = Query(QueryKind.COLLATERAL, symbol_enum=1)
    answer = CollateralData(symbol_enum=1)
    assert match_reply(ok, answer) is Match.PART
    assert match_reply(ok, CollateralData(symbol_enum=0)) is Match.DONE
    assert query_result(ok) is answer


def test_collateral_for_all_is_one_reply() -> None:
    q = Query(QueryKind.COLLATERAL)
    reply = CollateralData()
    assert match_reply(q, reply) is Match.DONE and query_result(q) is reply


def test_open_order_listing_takes_listing_entries_only() -> None:
    q = Query(QueryKind.OPEN_ORDERS)
    entry = Transaction(message_type=TransactionType.ORDER_NEW, order_id=1)
    replaced = Transaction(message_type=TransactionType.REPLACED, order_id=2)
    fill = Transaction(message_type=TransactionType.EXECUTION, order_id=3)
    live_replace = Transaction(message_type=TransactionType.REPLACED, order_id=4,
                               orig_order_id=2)
    assert match_reply(q, entry) is Match.PART
    assert match_reply(q, replaced) is Match.PART
    assert match_reply(q, fill) is Match.NOT_MINE  # an order answer, not a listing entry
    assert match_reply(q, live_replace) is Match.NOT_MINE
    assert match_reply(q, CollateralData()) is Match.DONE
    assert query_result(q) == [entry, replaced]


def test_a_reply_of_another_kind_is_not_mine() -> None:
    assert match_reply(Query(QueryKind.RISK), InstrumentResponse()) is Match.NOT_MINE
    assert match_reply(Query(QueryKind.INSTRUMENTS), RiskUserSymbol()) is Match.NOT_MINE


# -- routing ----------------------------------------------------------------------------------


def test_grant_from_a_reply_and_a_placeholder_secondary() -> None:
    reply = ClientLogon(primary_oes_address="10.0.0.1:4445", secondary_oes_address="1",
                        session_key=77, trading_session_id=9)
    grant, why = grant_from_reply(reply)
    assert grant == Grant(P, None, 77, 9)
    assert why is not None and "'1'" in why and "missing port" in why
    reply.secondary_oes_address = ""
    assert grant_from_reply(reply)[1] is None


def test_unparsable_primary_raises_naming_the_address() -> None:
    reply = ClientLogon(primary_oes_address="10.0.0.1:99999")
    try:
        grant_from_reply(reply)
    except ValueError as e:
        assert "primary OES address '10.0.0.1:99999'" in str(e) and "65535" in str(e)
    else:
        raise AssertionError("no ValueError")


def test_targets_and_failover_preference() -> None:
    both = Grant(P, S, 1, 1)
    assert targets(both, False) == [P, S]
    assert targets(both, True) == [S, P]
    assert targets(Grant(P, None, 1, 1), True) == [P]
    disabled = RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED
    assert prefers_secondary_after_logout(disabled, both, False) is True
    assert prefers_secondary_after_logout(disabled, both, True) is False  # back to primary
    assert prefers_secondary_after_logout(disabled, None, False) is False
    assert prefers_secondary_after_logout(RejectCode.INVALID_KEY, both, True) is True


def test_oes_refusals() -> None:
    stale = RejectCode.TRADING_SESSION_INVALID
    assert after_oes_refusal(stale, fresh_grant=False, logged_on_before=True) is Refusal.RENEW_GRANT
    assert after_oes_refusal(stale, fresh_grant=True, logged_on_before=True) is Refusal.FATAL
    busy = RejectCode.USER_ALREADY_LGGGED_IN
    assert after_oes_refusal(busy, fresh_grant=False, logged_on_before=True) is Refusal.RETRY
    assert after_oes_refusal(busy, fresh_grant=True, logged_on_before=False) is Refusal.FATAL
    assert after_oes_refusal(RejectCode.ACCOUNT_INVALID, fresh_grant=False,
                             logged_on_before=True) is Refusal.FATAL
