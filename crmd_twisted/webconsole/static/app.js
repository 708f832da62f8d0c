// CRMD exchange console: plain JavaScript, no build step, nothing from the internet.
// State arrives on the Server-Sent Events stream /api/v1/stream (conflated by the
// server); actions are the admin API's JSON calls.  docs/console.md describes it.
(function () {
  "use strict";

  const TOKEN_KEY = "crmdAdminToken";
  const TAPE_ROWS = 50;
  const EVENTS = ["hello", "health", "instruments", "fault_kinds", "book", "trades",
    "sessions", "faults"];
  const SVG_NS = "http://www.w3.org/2000/svg";

  const state = {
    boot: null,
    instruments: [],
    books: {},      // symbol_enum -> book payload
    trades: {},     // symbol_enum -> [trade, ...] newest last
    selected: null, // symbol_enum shown in the ladder and the chart
    faultKinds: [],
    account: null,  // account shown in the account panel
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ formatting

  function decimalsOf(step) {
    if (!step || step <= 0) return 2;
    const text = String(step);
    const exp = text.match(/e-(\d+)$/);
    if (exp) return Number(exp[1]);
    const dot = text.indexOf(".");
    return dot < 0 ? 0 : text.length - dot - 1;
  }

  function instrument(symbolEnum) {
    return state.instruments.find((i) => i.symbol_enum === symbolEnum) || null;
  }

  function fmtPrice(value, symbolEnum) {
    if (value === null || value === undefined) return "-";
    const inst = instrument(symbolEnum);
    return Number(value).toFixed(decimalsOf(inst ? inst.price_increment : 0.01));
  }

  function fmtSize(value) {
    return String(Number(Number(value).toFixed(8)));
  }

  function fmtTime(ns, withMs) {
    const d = new Date(ns / 1e6);
    const text = d.toTimeString().slice(0, 8);
    return withMs ? text + "." + String(d.getMilliseconds()).padStart(3, "0") : text;
  }

  // ------------------------------------------------------------------ API calls

  // Order ids are 64-bit: beyond 2^53 a JS number is not the id any more, so such
  // integers keep their JSON text (JSON.parse source text access; plain numbers
  // where the browser lacks it).
  function reviveBigInts(key, value, context) {
    if (typeof value === "number" && !Number.isSafeInteger(value) && Number.isInteger(value)
        && context && typeof context.source === "string") {
      return context.source;
    }
    return value;
  }

  function parseJSON(text) { return JSON.parse(text, reviveBigInts); }

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  function authHeaders(extra) {
    const headers = Object.assign({}, extra || {});
    if (token()) headers.Authorization = "Bearer " + token();
    return headers;
  }

  async function api(method, path, body) {
    const init = { method, headers: authHeaders(body === undefined ? {} : {
      "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    const text = await response.text();
    let payload = null;
    if (text) {
      try { payload = parseJSON(text); } catch (e) { payload = { error: text.trim() }; }
    }
    if (response.status === 401) askToken((payload && payload.error) || "token needed");
    if (!response.ok) {
      throw new Error((payload && payload.error) || response.status + " " + response.statusText);
    }
    return payload;
  }

  function showResult(ok, text) {
    const line = $("action-result");
    line.className = ok ? "ok" : "error";
    line.textContent = text;
  }

  async function act(run, describe) {
    try {
      const payload = await run();
      showResult(true, describe(payload));
    } catch (e) {
      showResult(false, "error: " + e.message);
    }
  }

  // ------------------------------------------------------------------ token

  function askToken(message) {
    setStatus("unauthorized", "token needed");
    $("token-form").hidden = false;
    $("token-error").textContent = message || "";
    $("token").focus();
  }

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    $("token-form").hidden = true;
    start();
  });

  $("forget-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });

  // ------------------------------------------------------------------ stream

  let source = null;
  let reopenTimer = null;

  function setStatus(kind, text) {
    const pill = $("status");
    pill.className = "status " + kind;
    pill.textContent = text;
  }

  function openStream() {
    if (source) source.close();
    const query = token() ? "?token=" + encodeURIComponent(token()) : "";
    source = new EventSource("/api/v1/stream" + query);
    source.onopen = () => setStatus("live", "live");
    source.onerror = () => {
      setStatus("reconnecting", "reconnecting");
      // EventSource retries a lost connection by itself; it gives up (CLOSED) only
      // when the server answered with an error (e.g. 401): then look and retry.
      if (source.readyState === EventSource.CLOSED) reopenLater();
    };
    for (const name of EVENTS) {
      source.addEventListener(name, (ev) => {
        try {
          handlers[name](parseJSON(ev.data));
        } catch (e) {
          console.error("console: bad " + name + " event", e);
        }
      });
    }
  }

  function reopenLater() {
    clearTimeout(reopenTimer);
    reopenTimer = setTimeout(start, 1500);
  }

  async function start() {
    try {
      const response = await fetch("/api/v1/health", { headers: authHeaders() });
      if (response.status === 401) {
        askToken(token() ? "wrong token" : "this exchange needs its admin token");
        return;
      }
    } catch (e) {
      setStatus("reconnecting", "exchange unreachable");
      reopenLater();
      return;
    }
    $("forget-token").hidden = !token();
    openStream();
  }

  // ------------------------------------------------------------------ handlers

  const handlers = {
    hello(msg) {
      if (state.boot !== null && state.boot !== msg.boot) {
        state.books = {};
        state.trades = {};
      }
      state.boot = msg.boot;
      setStatus("live", "live");
    },
    health(msg) {
      $("health").textContent = "up " + msg.uptime_s + " s \u00b7 " + msg.sessions + " session"
        + (msg.sessions === 1 ? "" : "s");
    },
    instruments(list) {
      state.instruments = list;
      if (state.selected === null || !instrument(state.selected)) {
        state.selected = list.length ? list[0].symbol_enum : null;
      }
      renderInstruments();
      renderCancelSymbols();
      renderSelected();
    },
    fault_kinds(kinds) {
      state.faultKinds = kinds;
      renderFaultKinds();
    },
    book(book) {
      state.books[book.symbol_enum] = book;
      renderInstrumentPrice(book.symbol_enum);
      if (book.symbol_enum === state.selected) renderLadder();
      refreshAccountSoon();
    },
    trades(msg) {
      state.trades[msg.symbol_enum] = msg.trades;
      renderInstrumentPrice(msg.symbol_enum);
      if (msg.symbol_enum === state.selected) renderTrades();
    },
    sessions(list) { renderSessions(list); },
    faults(list) { renderFaults(list); },
  };

  // ------------------------------------------------------------------ instruments

  function renderInstruments() {
    const nav = $("instruments");
    nav.replaceChildren(...state.instruments.map((inst) => el("button", {
      type: "button",
      "data-symbol": inst.symbol,
      class: inst.symbol_enum === state.selected ? "selected" : "",
      onclick: () => { state.selected = inst.symbol_enum; renderInstruments(); renderSelected(); },
    }, inst.symbol, el("span", { class: "last", id: "last-" + inst.symbol_enum }))));
    for (const inst of state.instruments) renderInstrumentPrice(inst.symbol_enum);
  }

  function lastPrice(symbolEnum) {
    const trades = state.trades[symbolEnum];
    if (trades && trades.length) return trades[trades.length - 1].price;
    const book = state.books[symbolEnum];
    return book ? book.last_trade_price : null;
  }

  function renderInstrumentPrice(symbolEnum) {
    const span = $("last-" + symbolEnum);
    if (!span) return;
    const price = lastPrice(symbolEnum);
    span.textContent = price === null || price === undefined ? "no trades"
      : fmtPrice(price, symbolEnum);
  }

  function renderSelected() {
    renderLadder();
    renderTrades();
  }

  // ------------------------------------------------------------------ ladder

  function cumulative(levels) {
    let sum = 0;
    return levels.map((level) => (sum += level.size));
  }

  function ladderRow(side, level, fraction, symbolEnum) {
    return el("tr", { class: side, "data-price": level.price },
      el("td", { class: "orders", text: level.orders }),
      el("td", { class: "size", text: fmtSize(level.size) }),
      el("td", { class: "price", text: fmtPrice(level.price, symbolEnum) }),
      el("td", { class: "bar" }, el("span", {
        style: "width:" + Math.max(1, Math.round(fraction * 100)) + "%" })));
  }

  function renderLadder() {
    const symbolEnum = state.selected;
    const inst = instrument(symbolEnum);
    const book = state.books[symbolEnum] || { bids: [], asks: [] };
    $("book-symbol").textContent = inst ? inst.symbol : "";
    const asks = book.asks, bids = book.bids;
    const askDepth = cumulative(asks), bidDepth = cumulative(bids);
    const deepest = Math.max(askDepth[askDepth.length - 1] || 0,
      bidDepth[bidDepth.length - 1] || 0) || 1;
    const askRows = [];
    for (let i = asks.length - 1; i >= 0; i--) {
      askRows.push(ladderRow("ask", asks[i], askDepth[i] / deepest, symbolEnum));
    }
    $("ladder-asks").replaceChildren(...askRows);
    $("ladder-bids").replaceChildren(...bids.map(
      (level, i) => ladderRow("bid", level, bidDepth[i] / deepest, symbolEnum)));
    let spread = "no orders";
    if (asks.length && bids.length) {
      const gap = asks[0].price - bids[0].price;
      spread = "spread " + fmtPrice(gap, symbolEnum) + " \u00b7 mid "
        + fmtPrice((asks[0].price + bids[0].price) / 2, symbolEnum);
    } else if (asks.length) {
      spread = "no bids";
    } else if (bids.length) {
      spread = "no offers";
    }
    $("spread").textContent = spread;
  }

  // ------------------------------------------------------------------ chart and tape

  function renderTrades() {
    const symbolEnum = state.selected;
    const trades = state.trades[symbolEnum] || [];
    const last = lastPrice(symbolEnum);
    $("last-price").textContent = last === null || last === undefined ? ""
      : "last " + fmtPrice(last, symbolEnum);
    renderChart(trades, symbolEnum);
    const rows = [];
    for (let i = trades.length - 1; i >= 0 && rows.length < TAPE_ROWS; i--) {
      const t = trades[i];
      rows.push(el("tr", { "data-price": t.price, "data-size": t.size },
        el("td", { text: fmtTime(t.time_ns, true) }),
        el("td", { class: t.aggressor_side, text: t.aggressor_side === "BUY" ? "buy" : "sell" }),
        el("td", { text: fmtPrice(t.price, symbolEnum) }),
        el("td", { text: fmtSize(t.size) })));
    }
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 4, class: "empty",
      text: "no trades yet" })));
    $("tape-body").replaceChildren(...rows);
  }

  // a round grid step near *raw*: 1, 2 or 5 times a power of ten
  function niceStep(raw) {
    if (!(raw > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / power;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
  }

  function renderChart(trades, symbolEnum) {
    const chart = $("chart");
    const W = 640, H = 260, L = 70, R = 12, T = 12, B = 22, VOL = 50, GAP = 8;
    const plotW = W - L - R, priceH = H - T - B - VOL - GAP;
    const nodes = [];
    if (!trades.length) {
      nodes.push(svg("text", { x: W / 2, y: H / 2, class: "axis", "text-anchor": "middle" },
        "no trades yet"));
      chart.replaceChildren(...nodes);
      return;
    }
    const times = trades.map((t) => t.time_ns / 1e6);
    let t0 = Math.min(...times), t1 = Math.max(...times);
    if (t1 - t0 < 1000) { t0 -= 500; t1 += 500; }
    const prices = trades.map((t) => t.price);
    let p0 = Math.min(...prices), p1 = Math.max(...prices);
    const inst = instrument(symbolEnum);
    const step = inst ? inst.price_increment : 0.01;
    const pad = Math.max((p1 - p0) * 0.1, step * 2);
    p0 -= pad; p1 += pad;
    const maxSize = Math.max(...trades.map((t) => t.size)) || 1;
    const x = (ms) => L + (ms - t0) / (t1 - t0) * plotW;
    const y = (p) => T + (p1 - p) / (p1 - p0) * priceH;
    const tick = Math.max(niceStep((p1 - p0) / 4), step);
    for (let p = Math.ceil(p0 / tick) * tick; p <= p1; p += tick) {
      nodes.push(svg("line", { x1: L, x2: W - R, y1: y(p), y2: y(p), class: "grid" }));
      nodes.push(svg("text", { x: L - 6, y: y(p) + 4, class: "axis", "text-anchor": "end" },
        fmtPrice(p, symbolEnum)));
    }
    const volTop = T + priceH + GAP, volBottom = volTop + VOL;
    nodes.push(svg("line", { x1: L, x2: W - R, y1: volBottom, y2: volBottom, class: "grid" }));
    nodes.push(svg("text", { x: L - 6, y: volBottom - 2, class: "axis", "text-anchor": "end" },
      "vol \u2264 " + fmtSize(maxSize)));
    const barW = Math.max(2, Math.min(10, plotW / trades.length * 0.6));
    trades.forEach((t, i) => {
      const h = Math.max(1, t.size / maxSize * VOL);
      nodes.push(svg("rect", { x: x(times[i]) - barW / 2, y: volBottom - h, width: barW,
        height: h, class: "vol" }));
    });
    nodes.push(svg("polyline", { class: "price",
      points: trades.map((t, i) => x(times[i]).toFixed(1) + "," + y(t.price).toFixed(1))
        .join(" ") }));
    trades.forEach((t, i) => {
      nodes.push(svg("circle", { cx: x(times[i]), cy: y(t.price), r: 3,
        class: "trade " + t.aggressor_side }));
    });
    nodes.push(svg("text", { x: L, y: H - 6, class: "axis" }, fmtTime(t0 * 1e6, false)));
    nodes.push(svg("text", { x: W - R, y: H - 6, class: "axis", "text-anchor": "end" },
      fmtTime(t1 * 1e6, false)));
    chart.replaceChildren(...nodes);
  }

  // ------------------------------------------------------------------ sessions and accounts

  function renderSessions(list) {
    const rows = list.map((s) => el("tr", { "data-server": s.server },
      el("td", { text: s.server }),
      el("td", { class: "account" }, s.account === null ? "-" : el("a", {
        "data-account": s.account, onclick: () => openAccount(s.account), text: s.account })),
      el("td", { text: s.user === null ? "-" : s.user }),
      el("td", { text: s.peer }),
      el("td", { text: fmtTime(s.connected_ns, false) }),
      el("td", { class: "frames-in", text: s.frames_in === undefined ? "-" : s.frames_in }),
      el("td", { class: "frames-out", text: s.frames_out === undefined ? "-" : s.frames_out })));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 7, class: "empty",
      text: "no connections" })));
    $("sessions-body").replaceChildren(...rows);
  }

  let accountTimer = null;

  function refreshAccountSoon() {
    if (state.account === null || accountTimer !== null) return;
    accountTimer = setTimeout(() => { accountTimer = null; loadAccount(); }, 1000);
  }

  function openAccount(account) {
    state.account = account;
    $("account-panel").hidden = false;
    $("account-number").textContent = account;
    loadAccount();
  }

  $("account-close").addEventListener("click", () => {
    state.account = null;
    $("account-panel").hidden = true;
  });

  async function loadAccount() {
    const account = state.account;
    if (account === null) return;
    let view;
    try {
      view = await api("GET", "/api/v1/accounts/" + account);
    } catch (e) {
      $("balances-body").replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "error",
        text: "error: " + e.message })));
      $("orders-body").replaceChildren();
      return;
    }
    if (account !== state.account) return;
    $("balances-body").replaceChildren(...Object.entries(view.balances).map(([cur, b]) =>
      el("tr", {}, el("td", { text: cur }), el("td", { text: fmtSize(b.balance) }),
        el("td", { text: fmtSize(b.reserved) }), el("td", { text: fmtSize(b.available) }))));
    const orders = view.open_orders.map((o) => el("tr", { "data-order": o.order_id },
      el("td", { class: "order-id", text: o.order_id }), el("td", { text: o.symbol }),
      el("td", { text: o.side }),
      el("td", { text: o.order_type }), el("td", { text: fmtPrice(o.price, o.symbol_enum) }),
      el("td", { text: fmtSize(o.open_qty) }), el("td", { text: fmtSize(o.filled_qty) })));
    if (!orders.length) orders.push(el("tr", {}, el("td", { colspan: 7, class: "empty",
      text: "no open orders" })));
    $("orders-body").replaceChildren(...orders);
  }

  // ------------------------------------------------------------------ faults

  function selectedKind() {
    return state.faultKinds.find((k) => k.kind === $("fault-kind").value) || null;
  }

  function renderFaultKinds() {
    const select = $("fault-kind");
    const current = select.value;
    select.replaceChildren(...state.faultKinds.map((k) => el("option", { value: k.kind,
      text: k.kind })));
    if (current) select.value = current;
    renderFaultParams();
  }

  function renderFaultParams() {
    const kind = selectedKind();
    $("fault-scope").hidden = !(kind && kind.scoped);
    for (const id of ["fault-account", "fault-user", "fault-server"]) {
      $(id).disabled = !(kind && kind.scoped);
    }
    $("fault-params").replaceChildren(...(kind ? kind.params : []).map((p) => el("label",
      { title: p.help }, p.name, el("input", {
        id: "param-" + p.name, "data-param": p.name, type: "number",
        step: p.type === "int" ? "1" : "any",
        placeholder: p.default === null ? "required" : String(p.default) }))));
  }

  $("fault-kind").addEventListener("change", renderFaultParams);

  function faultBody() {
    const kind = selectedKind();
    const body = { kind: $("fault-kind").value };
    if (kind && kind.scoped) {
      if ($("fault-account").value !== "") body.account = Number($("fault-account").value);
      if ($("fault-user").value !== "") body.user = $("fault-user").value;
      if ($("fault-server").value !== "") body.server = $("fault-server").value;
    }
    for (const input of $("fault-params").querySelectorAll("input")) {
      if (input.value !== "") body[input.dataset.param] = Number(input.value);
    }
    return body;
  }

  $("fault-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(async () => {
      const fault = await api("POST", "/api/v1/faults", faultBody());
      refreshFaults();
      return fault;
    }, (fault) => "fault " + fault.id + " added (" + fault.kind + ")"
      + (fault.affected_sessions === undefined ? ""
        : ", " + fault.affected_sessions + " session(s) affected"));
  });

  async function refreshFaults() {
    try { renderFaults(await api("GET", "/api/v1/faults")); } catch (e) { /* shown by act */ }
  }

  const SCOPE_KEYS = ["id", "kind", "account", "user", "server"];

  function renderFaults(list) {
    const rows = list.map((f) => {
      const scope = ["account", "user", "server"].filter((k) => f[k] !== null)
        .map((k) => k + " " + f[k]).join(", ") || "every session";
      const params = Object.entries(f).filter(([k]) => !SCOPE_KEYS.includes(k))
        .map(([k, v]) => k + "=" + v).join(" ");
      return el("tr", { "data-id": f.id, "data-kind": f.kind },
        el("td", { text: f.id }), el("td", { text: f.kind }), el("td", { text: scope }),
        el("td", { text: params }),
        el("td", {}, el("button", { type: "button", class: "remove", "data-id": f.id,
          onclick: () => removeFault(f.id), text: "remove" })));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 5, class: "empty",
      text: "no active faults" })));
    $("faults-body").replaceChildren(...rows);
  }

  function removeFault(id) {
    act(async () => {
      await api("DELETE", "/api/v1/faults/" + encodeURIComponent(id));
      refreshFaults();
    }, () => "fault " + id + " removed");
  }

  // ------------------------------------------------------------------ mass cancel

  function renderCancelSymbols() {
    const select = $("cancel-symbol");
    const current = select.value;
    select.replaceChildren(el("option", { value: "", text: "every" }),
      ...state.instruments.map((i) => el("option", { value: i.symbol, text: i.symbol })));
    select.value = current;
  }

  $("cancel-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = {};
    if ($("cancel-account").value !== "") body.account = Number($("cancel-account").value);
    if ($("cancel-symbol").value !== "") body.symbol = $("cancel-symbol").value;
    const what = (body.account ? "account " + body.account : "every account")
      + (body.symbol ? " on " + body.symbol : "");
    act(() => api("POST", "/api/v1/orders/cancel", body),
      (r) => "cancelled " + r.cancelled + " order(s) of " + what);
  });

  start();
})();
