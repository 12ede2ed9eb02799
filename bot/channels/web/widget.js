/*
 * Tandem web chat widget. One tag embeds it:
 *
 *   <script src="https://rasa.example.com/webhooks/webchat/widget.js"
 *           data-server="https://rasa.example.com" data-title="Chat with Volt"></script>
 *
 * Attributes: data-server (Rasa base URL; default the script's origin), data-title,
 * data-token (visitor JWT for a channel with jwt_key; its sub is the session id),
 * data-open (start open), data-lang (the interface language, e.g. "zh-CN"; default the
 * browser's). The same keys, plus `auth` (socket.io's auth option: an object or a
 * function) and `strings` (more languages or other words: {fr: {"widget.send": "Envoyer"}}),
 * may be given as window.TandemWebChatConfig before the tag. Each bot message names its
 * language; the interface and the cards follow it (docs/languages.md). Plain JS, no build
 * step; socket.io-client 4.x comes from the channel's /vendor route. Protocol:
 * docs/channels/web.md.
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
    title: preset.title || data.title || "",
    lang: preset.lang || data.lang || "",
    strings: preset.strings && typeof preset.strings === "object" ? preset.strings : {},
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

  // ---- words, by language ----------------------------------------------------------
  // BEGIN LOCALES: written by `python -m bot.channels.widget_strings` from
  // bot/contract/locales/*.json (edit those, not this).
  const LOCALES = {
    "en": {
      "common.asset.bonds": "bonds",
      "common.asset.cash": "cash",
      "common.asset.stocks": "stocks",
      "common.credit_score.apr": "Representative APR",
      "common.credit_score.lowered": "What lowered the score",
      "common.credit_score.monthly_payment": "Monthly payment",
      "common.credit_score.term": "Term",
      "common.credit_score.term_months": "{months} months",
      "common.credit_score.title": "Credit pre-check",
      "common.credit_score.total_payable": "Total payable",
      "common.marketing_copy.title": "Copy for {product}",
      "common.mobile_plan.runner_up": "Runner-up",
      "common.over_budget": "{amount} over your budget",
      "common.per_month": "{amount} a month",
      "common.recommendations.outside": " (outside your request)",
      "common.risk_profile.balanced": "balanced",
      "common.risk_profile.cautious": "cautious",
      "common.risk_profile.growth": "growth",
      "common.savings_plan.asset_mix": "Asset mix",
      "common.savings_plan.assumptions": "Assumptions: {assumptions}",
      "common.savings_plan.expected_return": "Expected return",
      "common.savings_plan.goal": "Goal",
      "common.savings_plan.goal_by": "{amount} by {date}",
      "common.savings_plan.monthly_contribution": "Monthly contribution",
      "common.savings_plan.months": "Months",
      "common.savings_plan.per_year": "{rate} a year",
      "common.savings_plan.projected_value": "Projected value",
      "widget.about_wait": "(about {minutes} min)",
      "widget.agent_label": "{agent} (from our team)",
      "widget.assistant": "Assistant:",
      "widget.back": "You are back with the assistant.",
      "widget.cancelled": "Request cancelled: you are back with the assistant.",
      "widget.cannot_connect": "Cannot connect",
      "widget.card.best_plan": "Best plan: {name}",
      "widget.card.credit_title": "Your credit pre-check",
      "widget.card.data": "Data",
      "widget.card.decision.declined": "Declined",
      "widget.card.decision.pre_approved": "Pre-approved",
      "widget.card.decision.review": "Needs a review",
      "widget.card.minutes": "Minutes",
      "widget.card.profile": "Profile",
      "widget.card.recommendations_title": "Recommended for you",
      "widget.card.roaming": "Roaming",
      "widget.card.runner_up": "Runner-up: {name}, {price} a month",
      "widget.card.savings_title": "Savings plan: {goal} by {date}",
      "widget.card.score": "Score",
      "widget.card.unit_days": "{amount} days",
      "widget.card.unit_gb": "{amount} GB",
      "widget.card.unit_min": "{amount} min",
      "widget.card.unlimited": "Unlimited",
      "widget.card.worked_out": "How we worked it out",
      "widget.close_chat": "Close chat",
      "widget.colleague": "a colleague",
      "widget.connected": "Connected",
      "widget.connecting": "Connecting…",
      "widget.conversation": "Conversation",
      "widget.error.bad_message": "This page couldn't send your message. Please reload the page and try again.",
      "widget.error.bad_metadata": "This page couldn't send your message. Please reload the page and try again.",
      "widget.error.bad_text": "The message contains characters that can't be sent. Please type it again.",
      "widget.error.message_too_long": "That message is too long for the chat. Please split it into shorter messages.",
      "widget.error.no_session": "The chat is still connecting. Please send your message again in a moment.",
      "widget.error.token_expired": "Your chat session has expired. Reconnecting…",
      "widget.history_failed": "The earlier conversation could not be loaded.",
      "widget.image": "Image from the assistant",
      "widget.next_in_queue": "You're next in the queue.",
      "widget.offline": "Offline",
      "widget.open_chat": "Open chat: {title}",
      "widget.our_team": "Our team",
      "widget.placeholder": "Type your message…",
      "widget.queue_place": "You're number {position} in the queue.",
      "widget.reconnecting": "Reconnecting…",
      "widget.refused": "The chat refused the connection.",
      "widget.send": "Send message",
      "widget.send_failed": "The message could not be sent.",
      "widget.suggested": "Suggested replies",
      "widget.talking_to": "You are now talking to {who}, a person from our team",
      "widget.title": "Chat with us",
      "widget.too_long": "That message is too long: the limit is {limit} characters.",
      "widget.typing": "The assistant is typing",
      "widget.unavailable": "Chat is unavailable",
      "widget.waited": "You've waited {minutes} min.",
      "widget.waiting": "Waiting for a colleague…",
      "widget.you": "You:",
      "widget.your_message": "Your message"
    },
    "zh": {
      "common.asset.bonds": "债券",
      "common.asset.cash": "现金",
      "common.asset.stocks": "股票",
      "common.credit_score.apr": "代表性年利率",
      "common.credit_score.lowered": "影响评分的因素",
      "common.credit_score.monthly_payment": "每月还款",
      "common.credit_score.term": "期限",
      "common.credit_score.term_months": "{months} 个月",
      "common.credit_score.title": "信用预审",
      "common.credit_score.total_payable": "应付总额",
      "common.marketing_copy.title": "{product} 的文案",
      "common.mobile_plan.runner_up": "次选",
      "common.over_budget": "超出预算 {amount}",
      "common.per_month": "每月 {amount}",
      "common.recommendations.outside": "（超出您的要求）",
      "common.risk_profile.balanced": "平衡型",
      "common.risk_profile.cautious": "稳健型",
      "common.risk_profile.growth": "成长型",
      "common.savings_plan.asset_mix": "资产配置",
      "common.savings_plan.assumptions": "假设：{assumptions}",
      "common.savings_plan.expected_return": "预期收益",
      "common.savings_plan.goal": "目标",
      "common.savings_plan.goal_by": "{date} 前达到 {amount}",
      "common.savings_plan.monthly_contribution": "每月存入",
      "common.savings_plan.months": "月数",
      "common.savings_plan.per_year": "每年 {rate}",
      "common.savings_plan.projected_value": "预计价值",
      "widget.about_wait": "（约 {minutes} 分钟）",
      "widget.agent_label": "{agent}（我们的团队）",
      "widget.assistant": "助手：",
      "widget.back": "您已回到智能助手。",
      "widget.cancelled": "请求已取消：您已回到智能助手。",
      "widget.cannot_connect": "无法连接",
      "widget.card.best_plan": "最佳套餐：{name}",
      "widget.card.credit_title": "您的信用预审",
      "widget.card.data": "流量",
      "widget.card.decision.declined": "未获批准",
      "widget.card.decision.pre_approved": "预批准",
      "widget.card.decision.review": "需要人工审核",
      "widget.card.minutes": "通话",
      "widget.card.profile": "风险类型",
      "widget.card.recommendations_title": "为您推荐",
      "widget.card.roaming": "漫游",
      "widget.card.runner_up": "次选：{name}，每月 {price}",
      "widget.card.savings_title": "储蓄计划：{date} 前达到 {goal}",
      "widget.card.score": "评分",
      "widget.card.unit_days": "{amount} 天",
      "widget.card.unit_gb": "{amount} GB",
      "widget.card.unit_min": "{amount} 分钟",
      "widget.card.unlimited": "无限",
      "widget.card.worked_out": "计算过程",
      "widget.close_chat": "关闭聊天",
      "widget.colleague": "一位同事",
      "widget.connected": "已连接",
      "widget.connecting": "正在连接…",
      "widget.conversation": "对话",
      "widget.error.bad_message": "此页面未能发送您的消息，请刷新页面后再试。",
      "widget.error.bad_metadata": "此页面未能发送您的消息，请刷新页面后再试。",
      "widget.error.bad_text": "消息里有无法发送的字符，请重新输入。",
      "widget.error.message_too_long": "消息太长了，请分成几条较短的消息发送。",
      "widget.error.no_session": "聊天仍在连接中，请稍后重新发送。",
      "widget.error.token_expired": "聊天会话已过期，正在重新连接…",
      "widget.history_failed": "无法加载之前的对话。",
      "widget.image": "助手发送的图片",
      "widget.next_in_queue": "您是下一位。",
      "widget.offline": "离线",
      "widget.open_chat": "打开聊天：{title}",
      "widget.our_team": "我们的团队",
      "widget.placeholder": "请输入消息…",
      "widget.queue_place": "您排在第 {position} 位。",
      "widget.reconnecting": "正在重新连接…",
      "widget.refused": "聊天服务拒绝了连接。",
      "widget.send": "发送消息",
      "widget.send_failed": "消息未能发送。",
      "widget.suggested": "建议回复",
      "widget.talking_to": "您现在正在与我们团队的 {who} 交谈",
      "widget.title": "在线咨询",
      "widget.too_long": "消息太长了：最多 {limit} 个字符。",
      "widget.typing": "助手正在输入",
      "widget.unavailable": "聊天暂不可用",
      "widget.waited": "您已等待 {minutes} 分钟。",
      "widget.waiting": "正在等待同事接入…",
      "widget.you": "您：",
      "widget.your_message": "您的消息"
    }
  };
  // END LOCALES

  /** "zh" for "zh-CN", "zh_Hans" or "ZH" when the widget has words for it; else null. */
  function supported(code) {
    const short = String(code || "").trim().toLowerCase().split(/[-_]/)[0];
    return short && (LOCALES[short] || config.strings[short]) ? short : null;
  }

  const browserLanguages = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]);
  let language = supported(config.lang) || browserLanguages.map(supported).find(Boolean) || "en";

  /** The words for `key` in the conversation's language (else English), `{name}`s filled in. */
  function wordSources() {
    return [config.strings[language], LOCALES[language], config.strings.en, LOCALES.en];
  }

  function hasWords(key) {
    return wordSources().some((words) => words && typeof words[key] === "string");
  }

  function t(key, values) {
    const found = wordSources().find((words) => words && typeof words[key] === "string");
    const template = found ? found[key] : key;
    return template.replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
  }

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
  }, icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"));
  const statusText = el("span", { class: "tw-status-text" });
  const status = el("span", { class: "tw-status", "data-state": "connecting", role: "status" },
    el("span", { class: "tw-dot", "aria-hidden": "true" }), statusText);
  const closeButton = el("button", { class: "tw-close", type: "button", text: "×" });
  const banner = el("div", { class: "tw-banner", role: "status", hidden: true });
  const log = el("div", { class: "tw-log", role: "log", "aria-live": "polite", tabindex: "0" });
  const typingText = el("span", { class: "tw-sr" });
  const typing = el("div", { class: "tw-typing", hidden: true }, typingText,
    el("span", { class: "tw-typing-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")));
  const input = el("textarea", {
    id: "tw-input", class: "tw-input", rows: "1", maxlength: String(config.maxChars), autocomplete: "off",
  });
  const inputLabel = el("label", { for: "tw-input", class: "tw-sr" });
  const sendButton = el("button", { class: "tw-send", type: "submit" }, icon("M3 20.5 21 12 3 3.5 3 10l12 2-12 2z"));
  const form = el("form", { class: "tw-form" }, inputLabel, input, sendButton);
  const title = el("h2", { id: "tw-title", class: "tw-title" });
  const panel = el("section", { id: "tw-panel", class: "tw-panel", role: "dialog", "aria-labelledby": "tw-title", hidden: true },
    el("header", { class: "tw-header" }, title, status, closeButton),
    banner, log, typing, form);
  frame.append(launcher, panel);
  root.append(stylesheet, frame);
  let statusKey = "widget.connecting";

  /** Words the panel shows outside the messages, in the current language. */
  function applyLanguage() {
    frame.lang = language;
    const name = config.title || t("widget.title");
    title.textContent = name;
    launcher.setAttribute("aria-label", t("widget.open_chat", { title: name }));
    closeButton.setAttribute("aria-label", t("widget.close_chat"));
    log.setAttribute("aria-label", t("widget.conversation"));
    typingText.textContent = t("widget.typing");
    input.placeholder = t("widget.placeholder");
    inputLabel.textContent = t("widget.your_message");
    sendButton.setAttribute("aria-label", t("widget.send"));
    statusText.textContent = t(statusKey);
    if (banner.dataset.state === "waiting") renderWaiting();
  }

  /** Follows the language a bot message names (the conversation's, set by the engine). */
  function follow(named) {
    const next = supported(named);
    if (next && next !== language) {
      language = next;
      applyLanguage();
    }
  }

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
    const group = el("div", { class: "tw-choices", role: "group", "aria-label": t("widget.suggested") });
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
    const waited = minutes >= 1 ? t("widget.waited", { minutes }) : "";
    banner.textContent = [t("widget.waiting"), waitingWords, waited].filter(Boolean).join(" ");
  }

  function stopWaiting() {
    clearInterval(bannerTimer);
    bannerTimer = null;
    waitingSince = null;
  }

  function handoff(custom, timestamp) {
    const who = custom.agent ? String(custom.agent) : t("widget.colleague");
    if (custom.state === "agent") {
      stopWaiting();
      banner.textContent = t("widget.talking_to", { who });
      banner.dataset.state = "agent";
      banner.hidden = false;
    } else if (custom.state === "waiting") {
      // The service words the place and the wait in English; other languages say them from the numbers.
      const words = [custom.place_text, custom.wait_text].filter((w) => typeof w === "string" && w);
      if (words.length && language === "en") waitingWords = words.join(" ");
      else {
        const parts = [];
        const position = Number(custom.position);
        if (language !== "en" && position >= 1) parts.push(position === 1 ? t("widget.next_in_queue") : t("widget.queue_place", { position }));
        const wait = Number(custom.expected_wait_s);
        if (wait > 0) parts.push(t("widget.about_wait", { minutes: Math.max(1, Math.ceil(wait / 60)) }));
        waitingWords = parts.join(" ");
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
      notice(t(custom.cancelled ? "widget.cancelled" : "widget.back"));
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
    follow(p.metadata && p.metadata.language);
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
      const label = isAgent ? t("widget.agent_label", { agent: custom.agent || t("widget.our_team") }) : t("widget.assistant");
      target = bubble(isAgent ? "agent" : "bot", label, p.timestamp);
    }
    const text = card ? leadIn(p.text) : p.text;
    if (text) target.body.replaceChildren(richText(text));
    const src = image && safeUrl(image, true);
    if (src) target.node.append(el("img", { class: "tw-image", src, alt: t("widget.image"), loading: "lazy" }));
    if (card) target.node.append(card);
    if (buttons.length) target.node.append(choices(buttons));
    scrollDown();
  }

  function renderUser(text, timestamp) {
    bubble("user", t("widget.you"), timestamp).body.append(richText(text));
  }

  function renderStream(chunk) {
    if (!chunk || typeof chunk.stream_id !== "string") return;
    let target = streams.get(chunk.stream_id);
    if (!target) {
      target = bubble("bot", t("widget.assistant"));
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
        card.append(el("h3", { text: t("widget.card.recommendations_title") }));
        if (d.note && !said.includes(d.note.trim())) card.append(el("p", { class: "tw-note", text: d.note }));
        const list = el("ul", { class: "tw-items" });
        for (const item of d.items || []) {
          const outside = item.fits === false ? t("common.recommendations.outside") : "";
          list.append(el("li", { class: "tw-item" },
            el("span", { class: "tw-item-name", text: item.name + outside }),
            el("span", { class: "tw-item-price", text: money(item.price, d.currency) }),
            el("span", { class: "tw-item-meta", text: `${item.category} · ${item.reason}` })));
        }
        card.append(list);
      } else if (custom.type === "credit_score") {
        const decision = t(`widget.card.decision.${d.decision}`);
        card.append(el("h3", { text: t("widget.card.credit_title") }),
          el("p", { class: `tw-badge tw-badge-${d.decision}`, text: decision.startsWith("widget.") ? d.decision : decision }),
          facts([[t("widget.card.score"), `${d.score} / 1000`]]));
        const offer = d.financing;
        if (offer) {
          card.append(facts([[t("common.credit_score.monthly_payment"), money(offer.monthly_payment, offer.currency)],
            [t("common.credit_score.term"), t("common.credit_score.term_months", { months: offer.term_months })],
            [t("common.credit_score.apr"), `${offer.apr_percent}%`], [t("common.credit_score.total_payable"), money(offer.total_payable, offer.currency)]]),
          el("p", { class: "tw-small", text: offer.representative_example }));
        }
        if ((d.reasons || []).length) {
          card.append(el("p", { class: "tw-subhead", text: t("common.credit_score.lowered") }),
            el("ul", {}, ...d.reasons.map((r) => el("li", { text: r.reason }))));
        }
        if (d.disclaimer) card.append(el("p", { class: "tw-small", text: d.disclaimer }));
      } else if (custom.type === "mobile_plan") {
        const best = d.best || {};
        const covers = best.covers || {};
        const allowance = (v, unit) => (v === null || v === undefined ? t("widget.card.unlimited") : t(unit, { amount: v }));
        card.append(el("h3", { text: t("widget.card.best_plan", { name: best.plan_name }) }),
          el("p", { class: "tw-price", text: t("common.per_month", { amount: money(best.monthly_total, d.currency) }) }),
          el("ul", {}, ...(best.line_items || []).map((li) => el("li", { text: `${li.quantity} × ${li.name}: ${money(li.monthly_cost, d.currency)}` }))),
          facts([[t("widget.card.data"), allowance(covers.data_gb, "widget.card.unit_gb")], [t("widget.card.minutes"), allowance(covers.minutes, "widget.card.unit_min")],
            [t("widget.card.roaming"), allowance(covers.roaming_days, "widget.card.unit_days")]]));
        if (d.over_budget_by) card.append(el("p", { class: "tw-warn", text: t("common.over_budget", { amount: money(d.over_budget_by, d.currency) }) }));
        if (d.runner_up) {
          const price = money(d.runner_up.monthly_total, d.currency);
          card.append(el("p", { class: "tw-small", text: t("widget.card.runner_up", { name: d.runner_up.plan_name, price }) }));
        }
      } else if (custom.type === "savings_plan") {
        const named = (prefix, value) => {
          const word = t(`${prefix}.${value}`);
          return word.startsWith(prefix) ? String(value) : word;
        };
        const bars = el("ul", { class: "tw-allocation", "aria-label": t("common.savings_plan.asset_mix") });
        for (const [asset, share] of Object.entries(d.allocation || {})) {
          const name = named("common.asset", asset);
          const meter = el("meter", { min: "0", max: "1", value: String(share), "aria-label": name });
          bars.append(el("li", {}, el("span", { text: `${name} ${percent(share)}` }), meter));
        }
        card.append(el("h3", { text: t("widget.card.savings_title", { goal: money(d.goal_amount), date: d.target_date }) }),
          el("p", { class: "tw-price", text: t("common.per_month", { amount: money(d.monthly_contribution) }) }),
          facts([[t("widget.card.profile"), named("common.risk_profile", d.risk_profile)],
            [t("common.savings_plan.expected_return"), t("common.savings_plan.per_year", { rate: percent(d.expected_annual_return, 1) })],
            [t("common.savings_plan.months"), String(d.months)]]),
          bars,
          el("details", {}, el("summary", { text: t("widget.card.worked_out") }), el("ol", {}, ...(d.steps || []).map((s) => el("li", { text: s })))));
        if (d.disclaimer) card.append(el("p", { class: "tw-small", text: d.disclaimer }));
      } else if (custom.type === "marketing_copy") {
        card.append(el("h3", { text: t("common.marketing_copy.title", { product: (d.brief || {}).product }) }),
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

  function setStatus(state, key) {
    status.dataset.state = state;
    statusKey = key;
    statusText.textContent = t(key);
  }

  /** The server's own explanation: its errors are worded in English, so only English gets it. */
  /** A server error in the visitor's words: the widget's own for the codes it knows
   *  (widget.error.<code>), the server's English text for others in English, else "". */
  function serverWords(error) {
    const key = error && typeof error.code === "string" ? `widget.error.${error.code}` : "";
    if (key && hasWords(key)) return t(key);
    return language === "en" && error && typeof error.message === "string" ? error.message : "";
  }

  function token() {
    if (typeof config.auth === "function") return new Promise((resolve) => config.auth((a) => resolve(a && a.token)));
    return Promise.resolve((config.auth && config.auth.token) || config.token || "");
  }

  function send(text, shown) {
    if (typeof text !== "string" || !text.trim()) return false;
    if (text.length > config.maxChars) {
      notice(t("widget.too_long", { limit: config.maxChars }), "error");
      return false;
    }
    retireChoices();
    renderUser(shown || text);
    // The first message's metadata starts the session; its language starts the conversation in it.
    const metadata = shown ? { display_text: shown, language } : { language };
    const message = { message: text, session_id: session, metadata };
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
      notice(t("widget.history_failed"), "error");
    }
    // Messages that arrived while the history loaded; ones it already held are skipped.
    for (const payload of loading.splice(0)) renderBot(payload);
    loading = null;
    ready = true;
    setStatus("online", "widget.connected");
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
      notice(serverWords(e) || t("widget.send_failed"), "error");
    });
    socket.on("disconnect", (reason) => {
      ready = false;
      setStatus("reconnecting", reason === "io client disconnect" ? "widget.offline" : "widget.reconnecting");
      if (reason === "io server disconnect") socket.connect(); // e.g. the token expired: auth again
    });
    socket.on("connect_error", (error) => {
      ready = false;
      if (socket.active) {
        setStatus("reconnecting", "widget.reconnecting");
      } else {
        setStatus("error", "widget.cannot_connect");
        notice(serverWords(error) || t("widget.refused"), "error");
      }
    });
  }

  function start() {
    applyLanguage();
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
    vendor.addEventListener("error", () => setStatus("error", "widget.unavailable"));
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
