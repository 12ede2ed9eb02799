/*
 * Tandem web chat widget. One tag embeds it:
 *
 *   <script src="https://rasa.example.com/webhooks/webchat/widget.js"
 *           data-server="https://rasa.example.com" data-title="Chat with Volt"></script>
 *
 * Attributes: data-server (Rasa base URL; default the script's origin), data-title,
 * data-token (visitor JWT for a channel with jwt_key; its sub is the session id),
 * data-open (start open). The same keys,
 * plus `auth` (socket.io's auth option: an object or a function), may be given as
 * window.TandemWebChatConfig before the tag. Plain JS, no build step; socket.io-client
 * 4.x comes from the channel's /vendor route. Protocol: docs/channels/web.md.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || window.TandemWebChat) return;
  const preset = window.TandemWebChatConfig || {};
  const data = script.dataset;
  const server = String(preset.server || data.server || new URL(script.src, location.href).origin)
    .replace(/\/+$/, "");
  const config = {
    server,
    base: server + "/webhooks/webchat",
    title: preset.title || data.title || "Chat with us",
    token: preset.token || data.token || "",
    auth: preset.auth || null,
    open: preset.open === true || data.open === "" || data.open === "true",
    socketPath: preset.socketPath || data.socketPath || "/socket.io",
    maxChars: Number(preset.maxChars || data.maxChars || 4000),
    // WebSocket first: one connection, so any replica can hold it without sticky
    // sessions; long-polling only where a proxy refuses WebSockets (docs/scaling.md).
    transports: preset.transports || (data.transports ? data.transports.split(",") : ["websocket", "polling"]),
  };
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const SESSION_KEY = "tandem.webchat.session:" + config.server;
  const OPEN_KEY = "tandem.webchat.open:" + config.server;
  // Result types drawn as cards and the schema version each is drawn for
  // (bot/result_schemas.py; a unit test keeps the two equal). Others show as text.
  const CARD_VERSIONS = { credit_score: 2, mobile_plan: 1, savings_plan: 1, recommendations: 1, marketing_copy: 1 };

  // ---- small helpers -------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function randomUUID() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function stored(storage, key, make) {
    try {
      let value = storage.getItem(key);
      if (value === null && make) storage.setItem(key, (value = make()));
      return value;
    } catch (_) {
      return make ? make() : null; // storage blocked (private mode, sandbox)
    }
  }

  function remember(storage, key, value) {
    try {
      storage.setItem(key, value);
    } catch (_) {
      /* storage blocked: the state lasts for this page only */
    }
  }

  function sessionId() {
    const id = stored(localStorage, SESSION_KEY, randomUUID);
    if (UUID.test(id)) return id;
    const fresh = randomUUID();
    remember(localStorage, SESSION_KEY, fresh);
    return fresh;
  }

  /** Text with http(s) links made clickable; never parsed as HTML. */
  function richText(text) {
    const out = document.createDocumentFragment();
    const pattern = /\bhttps?:\/\/[^\s<>"']+/g;
    let last = 0;
    for (const match of String(text).matchAll(pattern)) {
      let url = match[0].replace(/[.,!?;:)\]]+$/, "");
      out.append(text.slice(last, match.index));
      last = match.index + url.length;
      let href = null;
      try {
        const parsed = new URL(url);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
      } catch (_) {
        href = null;
      }
      out.append(href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow", text: url }) : url);
    }
    out.append(text.slice(last));
    return out;
  }

  function safeUrl(value, allowData) {
    try {
      const url = new URL(String(value), config.server);
      if (url.protocol === "https:" || url.protocol === "http:") return url.href;
      if (allowData && url.protocol === "data:" && /^data:image\//.test(url.href)) return url.href;
    } catch (_) {
      return null;
    }
    return null;
  }

  function money(value, currency) {
    const amount = Number(value);
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "GBP" }).format(amount);
    } catch (_) {
      return `${amount.toFixed(2)} ${currency || ""}`.trim();
    }
  }

  /** An inline SVG icon: no icon font or emoji font needed on the shopper's device. */
  function icon(path) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "tw-icon");
    const shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    svg.append(shape);
    return svg;
  }

  const percent = (value, digits) => `${(Number(value) * 100).toFixed(digits ?? 0)}%`;
  const clock = (ts) => new Date(ts ? ts * 1000 : Date.now());

  // ---- the panel -----------------------------------------------------------------
  const hostNode = el("div", { id: "tandem-webchat" });
  const root = hostNode.attachShadow({ mode: "open" });
  const frame = el("div", { class: "tw", hidden: true });
  const stylesheet = el("link", { rel: "stylesheet", href: config.base + "/widget.css" });
  const reveal = () => (frame.hidden = false);
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  const launcher = el("button", {
    class: "tw-launcher", type: "button", "aria-expanded": "false", "aria-controls": "tw-panel",
    "aria-label": `Open chat: ${config.title}`,
  }, icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"));
  const statusText = el("span", { class: "tw-status-text", text: "Connecting…" });
  const status = el("span", { class: "tw-status", "data-state": "connecting", role: "status" },
    el("span", { class: "tw-dot", "aria-hidden": "true" }), statusText);
  const closeButton = el("button", { class: "tw-close", type: "button", "aria-label": "Close chat", text: "×" });
  const banner = el("div", { class: "tw-banner", role: "status", hidden: true });
  const log = el("div", { class: "tw-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
  const typing = el("div", { class: "tw-typing", hidden: true },
    el("span", { class: "tw-sr", text: "The assistant is typing" }),
    el("span", { class: "tw-typing-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")));
  const input = el("textarea", {
    id: "tw-input", class: "tw-input", rows: "1", maxlength: String(config.maxChars),
    placeholder: "Type your message…", autocomplete: "off",
  });
  const form = el("form", { class: "tw-form" },
    el("label", { for: "tw-input", class: "tw-sr", text: "Your message" }), input,
    el("button", { class: "tw-send", type: "submit", "aria-label": "Send message" },
      icon("M3 20.5 21 12 3 3.5 3 10l12 2-12 2z")));
  const panel = el("section", { id: "tw-panel", class: "tw-panel", role: "dialog", "aria-labelledby": "tw-title", hidden: true },
    el("header", { class: "tw-header" }, el("h2", { id: "tw-title", class: "tw-title", text: config.title }), status, closeButton),
    banner, log, typing, form);
  frame.append(launcher, panel);
  root.append(stylesheet, frame);

  function setOpen(open, { focus = true } = {}) {
    panel.hidden = !open;
    frame.dataset.open = String(open);
    launcher.setAttribute("aria-expanded", String(open));
    remember(sessionStorage, OPEN_KEY, open ? "1" : "0");
    if (focus) (open ? input : launcher).focus();
    if (open) log.scrollTop = log.scrollHeight;
  }

  launcher.addEventListener("click", () => setOpen(panel.hidden));
  closeButton.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (send(input.value)) input.value = "";
  });

  // ---- messages ------------------------------------------------------------------
  const streams = new Map();
  const rendered = new Set();
  let typingTimer = null;

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function bubble(role, label, timestamp) {
    const time = clock(timestamp);
    const body = el("div", { class: "tw-text" });
    const node = el("div", { class: `tw-msg tw-${role}` },
      el("span", { class: role === "agent" ? "tw-author" : "tw-sr", text: label }), body,
      el("time", { class: "tw-time", datetime: time.toISOString(), text: time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }));
    log.append(node);
    scrollDown();
    return { node, body };
  }

  function notice(text, kind) {
    log.append(el("p", { class: `tw-notice tw-notice-${kind || "info"}`, text }));
    scrollDown();
  }

  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => (typing.hidden = true), 60000);
    scrollDown();
  }

  /** Choices answer the latest turn only: older ones are disabled, never removed. */
  function retireChoices(keep) {
    for (const group of log.querySelectorAll(".tw-choices:not([data-used])")) {
      if (keep && keep.contains(group)) continue;
      group.dataset.used = "1";
      for (const button of group.querySelectorAll("button")) button.disabled = true;
    }
  }

  function choices(buttons) {
    const group = el("div", { class: "tw-choices", role: "group", "aria-label": "Suggested replies" });
    for (const b of buttons) {
      const href = b.url && safeUrl(b.url);
      if (href) {
        group.append(el("a", { class: "tw-choice", href, target: "_blank", rel: "noopener noreferrer", text: b.title }));
      } else if (typeof b.payload === "string") {
        group.append(el("button", {
          class: "tw-choice", type: "button", text: b.title,
          onclick: (event) => {
            event.currentTarget.classList.add("tw-chosen");
            send(b.payload, b.title);
          },
        }));
      }
    }
    return group;
  }

  // The queue status comes from the handoff service, worded there (place_text, wait_text),
  // so the banner says what the bot said; updates arrive as text-less handoff messages.
  let waitingSince = null;
  let waitingWords = "";
  let bannerTimer = null;

  function renderWaiting() {
    const minutes = waitingSince === null ? 0 : Math.floor((Date.now() - waitingSince) / 60000);
    const waited = minutes >= 1 ? ` You've waited ${minutes} min.` : "";
    banner.textContent = `Waiting for a colleague… ${waitingWords}${waited}`.trim();
  }

  function stopWaiting() {
    clearInterval(bannerTimer);
    bannerTimer = null;
    waitingSince = null;
  }

  function handoff(custom, timestamp) {
    const who = custom.agent ? String(custom.agent) : "a colleague";
    if (custom.state === "agent") {
      stopWaiting();
      banner.textContent = `You are now talking to ${who}, a person from our team`;
      banner.dataset.state = "agent";
      banner.hidden = false;
    } else if (custom.state === "waiting") {
      const words = [custom.place_text, custom.wait_text].filter((w) => typeof w === "string" && w);
      if (words.length) waitingWords = words.join(" ");
      else {
        const wait = Number(custom.expected_wait_s);
        waitingWords = wait > 0 ? `(about ${Math.max(1, Math.ceil(wait / 60))} min)` : "";
      }
      const sent = timestamp ? timestamp * 1000 : Date.now();
      waitingSince = sent - 1000 * (Number(custom.waited_s) || 0);
      banner.dataset.state = "waiting";
      banner.hidden = false;
      renderWaiting();
      if (!bannerTimer) bannerTimer = setInterval(renderWaiting, 15000);
    } else if (custom.state === "bot") {
      stopWaiting();
      banner.hidden = true;
      banner.dataset.state = "bot";
      notice(custom.cancelled ? "Request cancelled: you are back with the assistant."
        : "You are back with the assistant.");
    } else if (custom.state === "unavailable") {
      stopWaiting();
      banner.hidden = true;
      banner.dataset.state = "unavailable";
    }
  }

  /** Renders one bot_uttered payload (live or from the history) once, by its timestamp. */
  function renderBot(p) {
    if (p.timestamp) {
      if (rendered.has(p.timestamp)) return;
      rendered.add(p.timestamp);
    }
    const custom = p.custom && typeof p.custom === "object" ? p.custom : null;
    if (custom && custom.type === "handoff") handoff(custom, p.timestamp);
    const isAgent = custom && custom.type === "agent_message";
    const card = custom && CARD_VERSIONS[custom.type] === custom.schema_version ? renderCard(custom, p.text) : null;
    const streamId = p.metadata && p.metadata.stream_id;
    let target = streamId && streams.get(streamId);
    if (target) {
      streams.delete(streamId);
      target.node.classList.remove("tw-streaming");
      target.node.removeAttribute("aria-busy");
    }
    const image = p.image || (p.attachment && p.attachment.payload && p.attachment.payload.src);
    const buttons = [...(p.buttons || []), ...(p.quick_replies || [])];
    if (!p.text && !card && !image && !buttons.length && !target) return;
    if (!target) {
      const label = isAgent ? `${custom.agent || "Our team"} (from our team)` : "Assistant:";
      target = bubble(isAgent ? "agent" : "bot", label, p.timestamp);
    }
    const text = card ? leadIn(p.text) : p.text;
    if (text) target.body.replaceChildren(richText(text));
    const src = image && safeUrl(image, true);
    if (src) target.node.append(el("img", { class: "tw-image", src, alt: "Image from the assistant", loading: "lazy" }));
    if (card) target.node.append(card);
    if (buttons.length) target.node.append(choices(buttons));
    scrollDown();
  }

  function renderUser(text, timestamp) {
    bubble("user", "You:", timestamp).body.append(richText(text));
  }

  function renderStream(chunk) {
    if (!chunk || typeof chunk.stream_id !== "string") return;
    let target = streams.get(chunk.stream_id);
    if (!target) {
      target = bubble("bot", "Assistant:");
      target.node.classList.add("tw-streaming");
      target.node.setAttribute("aria-busy", "true");
      streams.set(chunk.stream_id, target);
    }
    if (typeof chunk.delta === "string") target.body.append(chunk.delta);
    if (chunk.done) {
      target.node.removeAttribute("aria-busy");
      target.body.replaceChildren(richText(target.body.textContent));
    }
    scrollDown();
  }

  // ---- cards for structured results (schemas: bot/contract/schemas/*.schema.json) ---
  function facts(rows) {
    const list = el("dl", { class: "tw-facts" });
    for (const [term, value] of rows) if (value !== null && value !== undefined) list.append(el("dt", { text: term }), el("dd", { text: value }));
    return list;
  }

  /** A card's one-line lead-in; a multi-line text is the card's plain-text twin, not shown twice. */
  function leadIn(text) {
    const t = typeof text === "string" ? text.trim() : "";
    return t.includes("\n") ? "" : t;
  }

  function renderCard(custom, text) {
    const d = custom.data || {};
    const said = leadIn(text);
    try {
      const card = el("div", { class: `tw-card tw-card-${custom.type}` });
      if (custom.type === "recommendations") {
        card.append(el("h3", { text: "Recommended for you" }));
        if (d.note && !said.includes(d.note.trim())) card.append(el("p", { class: "tw-note", text: d.note }));
        const list = el("ul", { class: "tw-items" });
        for (const item of d.items || []) {
          const outside = item.fits === false ? " (outside your request)" : "";
          list.append(el("li", { class: "tw-item" },
            el("span", { class: "tw-item-name", text: item.name + outside }),
            el("span", { class: "tw-item-price", text: money(item.price, d.currency) }),
            el("span", { class: "tw-item-meta", text: `${item.category} · ${item.reason}` })));
        }
        card.append(list);
      } else if (custom.type === "credit_score") {
        const decisions = { pre_approved: "Pre-approved", review: "Needs a review", declined: "Declined" };
        card.append(el("h3", { text: "Your credit pre-check" }),
          el("p", { class: `tw-badge tw-badge-${d.decision}`, text: decisions[d.decision] || d.decision }),
          facts([["Score", `${d.score} / 1000`]]));
        const offer = d.financing;
        if (offer) {
          card.append(facts([["Monthly payment", money(offer.monthly_payment, offer.currency)], ["Term", `${offer.term_months} months`],
            ["Representative APR", `${offer.apr_percent}%`], ["Total payable", money(offer.total_payable, offer.currency)]]),
          el("p", { class: "tw-small", text: offer.representative_example }));
        }
        if ((d.reasons || []).length) {
          card.append(el("p", { class: "tw-subhead", text: "What lowered the score" }),
            el("ul", {}, ...d.reasons.map((r) => el("li", { text: r.reason }))));
        }
        if (d.disclaimer) card.append(el("p", { class: "tw-small", text: d.disclaimer }));
      } else if (custom.type === "mobile_plan") {
        const best = d.best || {};
        const covers = best.covers || {};
        const allowance = (v, unit) => (v === null || v === undefined ? "Unlimited" : `${v} ${unit}`);
        card.append(el("h3", { text: `Best plan: ${best.plan_name}` }),
          el("p", { class: "tw-price", text: `${money(best.monthly_total, d.currency)} a month` }),
          el("ul", {}, ...(best.line_items || []).map((li) => el("li", { text: `${li.quantity} × ${li.name}: ${money(li.monthly_cost, d.currency)}` }))),
          facts([["Data", allowance(covers.data_gb, "GB")], ["Minutes", allowance(covers.minutes, "min")], ["Roaming", allowance(covers.roaming_days, "days")]]));
        if (d.over_budget_by) card.append(el("p", { class: "tw-warn", text: `${money(d.over_budget_by, d.currency)} over your budget` }));
        if (d.runner_up) card.append(el("p", { class: "tw-small", text: `Runner-up: ${d.runner_up.plan_name}, ${money(d.runner_up.monthly_total, d.currency)} a month` }));
      } else if (custom.type === "savings_plan") {
        const bars = el("ul", { class: "tw-allocation", "aria-label": "Asset mix" });
        for (const [asset, share] of Object.entries(d.allocation || {})) {
          const meter = el("meter", { min: "0", max: "1", value: String(share), "aria-label": asset });
          bars.append(el("li", {}, el("span", { text: `${asset} ${percent(share)}` }), meter));
        }
        card.append(el("h3", { text: `Savings plan: ${money(d.goal_amount)} by ${d.target_date}` }),
          el("p", { class: "tw-price", text: `${money(d.monthly_contribution)} a month` }),
          facts([["Profile", d.risk_profile], ["Expected return", `${percent(d.expected_annual_return, 1)} a year`], ["Months", String(d.months)]]),
          bars,
          el("details", {}, el("summary", { text: "How we worked it out" }), el("ol", {}, ...(d.steps || []).map((s) => el("li", { text: s })))));
        if (d.disclaimer) card.append(el("p", { class: "tw-small", text: d.disclaimer }));
      } else if (custom.type === "marketing_copy") {
        card.append(el("h3", { text: `Copy for ${(d.brief || {}).product}` }),
          el("ol", {}, ...(d.variants || []).map((v) => el("li", { text: v.text }))));
      }
      return card;
    } catch (error) {
      return null; // a payload that does not match its schema: the text still says it all
    }
  }

  // ---- the connection ------------------------------------------------------------
  // With a visitor token the token's sub is the session: the server confirms it.
  const bound = Boolean(config.token || config.auth);
  let session = bound ? null : sessionId();
  const pending = [];
  let socket = null;
  let ready = false;
  let loading = null;

  function setStatus(state, text) {
    status.dataset.state = state;
    statusText.textContent = text;
  }

  function token() {
    if (typeof config.auth === "function") return new Promise((resolve) => config.auth((a) => resolve(a && a.token)));
    return Promise.resolve((config.auth && config.auth.token) || config.token || "");
  }

  function send(text, shown) {
    if (typeof text !== "string" || !text.trim()) return false;
    if (text.length > config.maxChars) {
      notice(`That message is too long: the limit is ${config.maxChars} characters.`, "error");
      return false;
    }
    retireChoices();
    renderUser(shown || text);
    const message = { message: text, session_id: session, metadata: shown ? { display_text: shown } : {} };
    if (ready) socket.emit("user_uttered", message);
    else pending.push([message, shown || text]);
    showTyping(true);
    return true;
  }

  async function loadHistory() {
    const auth = await token();
    const response = await fetch(`${config.base}/history/${session}`, {
      headers: auth ? { Authorization: `Bearer ${auth}` } : {}, credentials: "omit", cache: "no-store",
    });
    if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
    const history = await response.json();
    log.setAttribute("aria-live", "off");
    log.replaceChildren();
    streams.clear();
    rendered.clear();
    for (const m of history.messages || []) {
      if (m.role === "user") renderUser(m.text, m.timestamp);
      else renderBot(m);
    }
    retireChoices(log.lastElementChild);
    log.setAttribute("aria-live", "polite");
    scrollDown();
  }

  async function onSession() {
    let replaced = true;
    loading = [];
    try {
      await loadHistory();
    } catch (error) {
      replaced = false;
      notice("The earlier conversation could not be loaded.", "error");
    }
    // Messages that arrived while the history loaded; ones it already held are skipped.
    for (const payload of loading.splice(0)) renderBot(payload);
    loading = null;
    ready = true;
    setStatus("online", "Connected");
    for (const [message, shown] of pending.splice(0)) {
      if (replaced) renderUser(shown); // the history replaced the log, queued messages included
      socket.emit("user_uttered", message);
    }
  }

  function connect(io) {
    const auth = typeof config.auth === "function" ? config.auth : { token: (config.auth && config.auth.token) || config.token };
    socket = io(config.server, {
      path: config.socketPath,
      auth,
      transports: config.transports,
      tryAllTransports: true, // the next transport when the first cannot connect
    });
    // A token's first request names no session (its sub does); reconnects keep the confirmed one.
    socket.on("connect", () => socket.emit("session_request", session ? { session_id: session } : {}));
    socket.on("session_confirm", (id) => {
      if (typeof id === "string" && UUID.test(id)) session = id;
      onSession();
    });
    socket.on("bot_uttered", (payload) => (loading ? loading.push(payload || {}) : renderBot(payload || {})));
    socket.on("bot_stream", renderStream);
    socket.on("bot_typing", (t) => showTyping(Boolean(t && t.typing)));
    socket.on("webchat_error", (e) => {
      if (bound && e && e.code === "not_your_conversation") {
        session = null; // a fresh token for another session: take the one it names
        socket.emit("session_request", {});
        return;
      }
      showTyping(false);
      notice((e && e.message) || "The message could not be sent.", "error");
    });
    socket.on("disconnect", (reason) => {
      ready = false;
      setStatus("reconnecting", reason === "io client disconnect" ? "Offline" : "Reconnecting…");
      if (reason === "io server disconnect") socket.connect(); // e.g. the token expired: auth again
    });
    socket.on("connect_error", (error) => {
      ready = false;
      if (socket.active) {
        setStatus("reconnecting", "Reconnecting…");
      } else {
        setStatus("error", "Cannot connect");
        notice((error && error.message) || "The chat refused the connection.", "error");
      }
    });
  }

  function start() {
    document.body.append(hostNode);
    setOpen(config.open || stored(sessionStorage, OPEN_KEY) === "1", { focus: false });
    // socket.io-client 4 speaks protocol 5; a page's own older client is left alone.
    const theirs = window.io;
    if (typeof theirs === "function" && theirs.protocol === 5) return connect(theirs);
    const vendor = el("script", { src: config.base + "/vendor/socket.io.min.js", async: true });
    vendor.addEventListener("load", () => {
      const ours = window.io;
      if (theirs !== undefined) window.io = theirs;
      connect(ours);
    });
    vendor.addEventListener("error", () => setStatus("error", "Chat is unavailable"));
    document.head.append(vendor);
  }

  window.TandemWebChat = {
    open: () => setOpen(true),
    close: () => setOpen(false),
    send: (text) => send(text),
    get sessionId() {
      return session;
    },
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
