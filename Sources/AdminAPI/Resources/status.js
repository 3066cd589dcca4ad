// SwiftSBC status page: polls GET api/v1/status with the operator's bearer token and renders it.
//
// Why a script and a token in sessionStorage: a browser cannot send an Authorization header when
// it loads a page, so the page itself is public and empty, and the data comes from fetch() calls
// that carry the token. Every value from the SBC is inserted with textContent, never as HTML:
// trunk names, causes and operators' reasons are text, and the page's Content-Security-Policy
// allows no inline script in any case.
"use strict";

(function () {
  const TOKEN_KEY = "swiftsbc-status-token";
  const STATES = ["up", "degraded", "down", "recovering", "quarantined", "locked"];
  const WINDOW_SECONDS = 24 * 3600;

  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  // ?refresh=SECONDS (1-300, default 5): how often the page polls.
  const refreshSeconds = Math.min(300, Math.max(1, Number(query.get("refresh")) || 5));

  let timer = null;
  let polls = 0;
  /** Each trunk's state at the previous poll, to list the changes seen while the page is open. */
  const previousStates = new Map();

  // A token given in the address (#token=... preferred: a fragment never reaches a server log)
  // is moved to sessionStorage and removed from the address bar and the history at once.
  const given = fragment.get("token") || query.get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    fragment.delete("token");
    query.delete("token");
    const search = query.toString();
    const hash = fragment.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : "") + (hash ? "#" + hash : ""));
  }

  // MARK: DOM helpers

  function $(id) { return document.getElementById(id); }

  /** An element with attributes (`class`, `data-*`, `title`, ...) and text or element children. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attributes) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    return node;
  }

  function replaceRows(tbody, rows, emptyText, columns) {
    tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: columns, class: "empty" }, emptyText))]));
  }

  function stateBadge(state) {
    const known = STATES.includes(state) ? state : "unknown";
    return el("span", { class: "state state-" + known, "data-state": state }, state);
  }

  function clock(seconds) {
    return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }

  function ago(seconds, now) {
    const delta = Math.max(0, now - seconds);
    if (delta < 90) return Math.round(delta) + " s ago";
    if (delta < 5400) return Math.round(delta / 60) + " min ago";
    if (delta < 172800) return (delta / 3600).toFixed(1) + " h ago";
    return Math.round(delta / 86400) + " days ago";
  }

  // MARK: Token and polling

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function showLogin(message) {
    if (timer) { clearTimeout(timer); timer = null; }
    $("dashboard").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    setConnection("idle", "not connected");
    $("token").focus();
  }

  function setConnection(state, text) {
    const pill = $("connection");
    pill.dataset.connection = state;
    pill.textContent = text;
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(poll, refreshSeconds * 1000);
  }

  async function poll() {
    timer = null;
    const bearer = token();
    if (!bearer) { showLogin(); return; }
    let response;
    try {
      response = await fetch("api/v1/status", {
        headers: { "Authorization": "Bearer " + bearer, "Accept": "application/json" },
        cache: "no-store",
      });
    } catch (error) {
      setConnection("offline", "SBC unreachable");
      schedule();
      return;
    }
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin(response.status === 403
        ? "This token lacks the status:read scope."
        : "The SBC does not accept this token.");
      return;
    }
    if (!response.ok) {
      setConnection("error", "HTTP " + response.status);
      schedule();
      return;
    }
    let status;
    try {
      status = await response.json();
    } catch (error) {
      setConnection("error", "unreadable answer");
      schedule();
      return;
    }
    polls += 1;
    document.body.dataset.polls = String(polls);
    $("login").hidden = true;
    $("dashboard").hidden = false;
    $("logout").hidden = false;
    render(status);
    setConnection("ok", "live");
    $("updated").textContent = "updated " + clock(status.generatedAt) + " (every " + refreshSeconds + " s)";
    schedule();
  }

  // MARK: Rendering

  function render(status) {
    renderTrunks(status);
    noteChanges(status);
    renderTimeline(status);
    renderEvents(status);
    renderActivity(status);
    renderCertificates(status);
  }

  function renderTrunks(status) {
    const calls = status.callsPerTrunk || {};
    const rows = status.trunks.map(trunk => el("tr", { "data-trunk": trunk.name, "data-state": trunk.state },
      el("td", { class: "name" }, trunk.name),
      el("td", {}, stateBadge(trunk.state), trunk.awaitingApproval ? " awaiting approval" : null),
      el("td", { title: clock(trunk.since) }, ago(trunk.since, status.generatedAt)),
      el("td", {}, trunk.cause, trunk.detail ? el("div", { class: "note" }, trunk.detail) : null,
        trunk.mediaProbe && trunk.mediaProbe.lastResult
          ? el("div", { class: "note" }, "media probe: " + trunk.mediaProbe.lastResult) : null),
      el("td", {}, trunk.selectable ? "yes" : "no"),
      el("td", { class: "number", "data-calls": calls[trunk.name] || 0 }, calls[trunk.name] || 0),
      el("td", { class: "number" }, trunk.lastProbeRTTMs === undefined ? "-" : trunk.lastProbeRTTMs.toFixed(1) + " ms"),
      el("td", {}, trunk.lockedBy || "-", trunk.lockReason ? el("div", { class: "note" }, trunk.lockReason) : null)));
    replaceRows($("trunks").tBodies[0], rows, "no trunks configured", 8);
    $("calls-total").textContent = status.activeCalls + " live call" + (status.activeCalls === 1 ? "" : "s");
  }

  /** Lists every state change between two polls: what a wall display is watched for. */
  function noteChanges(status) {
    const list = $("changes");
    for (const trunk of status.trunks) {
      const before = previousStates.get(trunk.name);
      if (before !== undefined && before !== trunk.state) {
        list.querySelector(".empty")?.remove();
        list.prepend(el("li", { "data-trunk": trunk.name, "data-from": before, "data-to": trunk.state },
          clock(status.generatedAt) + "  " + trunk.name + ": ", stateBadge(before), " \u2192 ", stateBadge(trunk.state),
          trunk.lockedBy ? " by " + trunk.lockedBy : null));
      }
      previousStates.set(trunk.name, trunk.state);
    }
  }

  /**
   * Each trunk's state over the window, rebuilt from the audit log's state changes. Before the
   * first change the trunk was in that change's `from` state (since the SBC started, when the
   * change came after that); with no change in the window, in its current state since `since`.
   * Grey where no record says anything, e.g. before the SBC started.
   */
  function renderTimeline(status) {
    const end = status.generatedAt;
    const start = end - WINDOW_SECONDS;
    const container = $("timeline");
    const rows = [];
    for (const trunk of status.trunks) {
      const changes = status.timeline.filter(record => record.kind === "trunk" && record.subject === trunk.name);
      const bar = el("div", { class: "bar", "data-trunk": trunk.name });
      let state = changes.length ? (changes[0].from || "unknown") : trunk.state;
      let from = changes.length
        ? (changes[0].at >= status.startedAt ? Math.max(start, status.startedAt) : start)
        : Math.max(start, trunk.since);
      for (const change of changes) {
        addSegment(bar, state, from, change.at, start, end);
        state = change.to || state;
        from = Math.max(change.at, start);
      }
      addSegment(bar, state, from, end, start, end);
      rows.push(el("div", { class: "timeline-row" }, el("div", { class: "timeline-name" }, trunk.name), bar));
    }
    const ticks = el("div", { class: "axis-ticks" });
    for (const hours of [24, 18, 12, 6, 0]) ticks.append(el("span", {}, hours ? "-" + hours + " h" : "now"));
    rows.push(el("div", { class: "axis" }, el("span"), ticks));
    container.replaceChildren(...rows);

    if (!$("legend").childElementCount) {
      $("legend").append(...STATES.concat(["unknown"]).map(state =>
        el("span", {}, el("span", { class: "swatch state-" + state }), state === "unknown" ? "no record" : state)));
    }
    $("timeline-note").textContent = status.timelineTruncated
      ? "Busy audit log: the bars show the changes since " + clock(status.timelineSince) + " only."
      : "";
  }

  function addSegment(bar, state, from, to, start, end) {
    const left = Math.max(from, start);
    if (to <= left) return;
    const segment = el("div", {
      class: "segment state-" + (STATES.includes(state) ? state : "unknown"),
      title: state + ": " + clock(left) + " to " + clock(to),
    });
    // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
    // Kept inside the bar: a segment of the last seconds still shows its minimum width.
    segment.style.left = "min(" + ((left - start) / (end - start) * 100) + "%, calc(100% - 3px))";
    segment.style.width = ((to - left) / (end - start) * 100) + "%";
    bar.append(segment);
  }

  function renderEvents(status) {
    const recent = status.timeline.slice(-25).reverse();
    const rows = recent.map(record => el("tr", {},
      el("td", { title: clock(record.at) }, ago(record.at, status.generatedAt)),
      el("td", {}, record.subject),
      el("td", {}, record.from || record.to ? (record.from || "-") + " \u2192 " + (record.to || "-") : record.kind),
      el("td", {}, record.cause),
      el("td", {}, record.actor || "-"),
      el("td", {}, record.detail || "")));
    replaceRows($("events").tBodies[0], rows, "no state changes in the last 24 hours", 6);
  }

  function renderActivity(status) {
    const minutes = status.activity || [];
    const series = [
      ["failovers", "Failovers"],
      ["midCallFailovers", "Mid-call failovers"],
      ["mediaTimeouts", "Media timeouts"],
    ];
    const charts = series.map(([key, title]) => {
      const values = minutes.map(minute => minute[key] || 0);
      const peak = Math.max(1, ...values);
      const total = values.reduce((sum, value) => sum + value, 0);
      const width = Math.max(1, values.length);
      const chart = svg("svg", { viewBox: "0 0 " + width + " 10", preserveAspectRatio: "none", role: "img",
        "aria-label": title + " per minute" });
      values.forEach((value, index) => {
        if (!value) return;
        const height = value / peak * 10;
        const rect = svg("rect", { x: index + 0.1, y: 10 - height, width: 0.8, height: height, class: "bar-" + key });
        const tip = svg("title", {});
        tip.textContent = clock(minutes[index].at) + ": " + value;
        rect.append(tip);
        chart.append(rect);
      });
      return el("div", { class: "chart", "data-series": key },
        el("div", { class: "chart-title" }, title),
        chart,
        el("div", { class: "chart-total" }, total + " in " + values.length + " min" + (total ? ", peak " + peak + "/min" : "")));
    });
    $("activity").replaceChildren(...charts);
  }

  function renderCertificates(status) {
    const rows = status.certificates.map(certificate => {
      const days = certificate.secondsToExpiry / 86400;
      const rowClass = days < 0 ? "expiry-expired" : days < 30 ? "expiry-warning" : "";
      return el("tr", { class: rowClass, "data-certificate": certificate.certificate },
        el("td", {}, certificate.certificate),
        el("td", {}, certificate.subject),
        el("td", {}, certificate.notAfter),
        el("td", { class: "days number" }, days < 0 ? "expired" : Math.floor(days)));
    });
    replaceRows($("certificates").tBodies[0], rows, "no TLS certificates (TLS is not configured)", 4);
  }

  // MARK: Start

  $("login-form").addEventListener("submit", event => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $("token").value = "";
    poll();
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    previousStates.clear();
    showLogin("Token forgotten.");
  });

  if (token()) poll(); else showLogin();
})();
