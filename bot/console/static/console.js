// Tandem agent console: vanilla JS, no build step. All text goes in through
// textContent, never innerHTML, so nothing a customer types can run here.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const me = {
  id: Number(document.body.dataset.userId),
  role: document.body.dataset.role,
  name: document.body.dataset.name,
};
const $ = (id) => document.getElementById(id);
const SENDER_LABEL = { customer: "Customer", bot: "Bot", agent: "Agent", system: "System" };

const state = {
  queue: [], selected: null, detail: null, lastSeq: -1, unread: new Set(),
  // The selected conversation's messages from the stream since its transcript was last
  // drawn: a transcript fetched before they were stored must not wipe them out.
  streamed: [],
};
let selecting = 0; // the newest select(); an older one's reply is stale and is dropped

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function showError(message, where = "error") {
  const box = $(where);
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, { method = "GET", body } = {}) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET") {
    options.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new Error("The console server cannot be reached; check your connection.");
  }
  if (response.status === 401) {
    window.location.assign("/console/login");
    throw new Error("Your session ended; please sign in again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
  return data;
}

function waited(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function renderQueue() {
  const list = $("queue");
  list.replaceChildren();
  const waiting = state.queue.filter((h) => h.status === "waiting").length;
  $("queue-count").textContent = `(${waiting} waiting)`;
  $("queue-empty").hidden = state.queue.length > 0;
  for (const h of state.queue) {
    const who = h.customer_name || h.conversation_id;
    const status = h.status === "waiting"
      ? `waiting ${waited(h.created_at)}`
      : `with ${h.agent_id === me.id ? "you" : h.agent}`;
    const button = el("button", {
      type: "button",
      className: "queue-item" + (h.id === state.selected ? " selected" : ""),
      "aria-pressed": String(h.id === state.selected),
    }, [
      el("span", { className: "who", text: who }),
      el("span", { className: `badge ${h.status}`, text: status }),
      el("span", { className: "meta", text: `${h.channel} · ${languageName(h.language)} · priority ${h.priority}` }),
      el("span", { className: "reason", text: h.reason }),
    ]);
    if (state.unread.has(h.id)) button.append(el("span", { className: "unread", text: "new" }));
    button.addEventListener("click", () => select(h.id));
    list.append(el("li", {}, [button]));
  }
}

// The conversation's language as the agent reads it ("Chinese (zh)"); unset is English.
function languageName(code) {
  const lang = code || "en";
  try {
    return `${new Intl.DisplayNames(["en"], { type: "language" }).of(lang)} (${lang})`;
  } catch {
    return lang;
  }
}

function messageItem(m) {
  const label = m.sender === "agent" ? (m.agent || "Agent") : SENDER_LABEL[m.sender] || m.sender;
  const time = new Date(m.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return el("li", { className: `message ${m.sender}`, "data-seq": String(m.seq ?? "") }, [
    el("span", { className: "sender", text: `${label} · ${time}` }),
    el("p", { className: "text", text: m.text }),
  ]);
}

function addMessage(m) {
  if (m.seq <= state.lastSeq) return; // already shown: the stream and the API overlap
  state.lastSeq = m.seq;
  $("messages").append(messageItem(m));
  $("transcript-box").scrollTop = $("transcript-box").scrollHeight;
}

let assistTimer = null;
function refreshAssistSoon() {
  // New messages change the summary; ask once things have settled.
  clearTimeout(assistTimer);
  const id = state.selected;
  assistTimer = setTimeout(async () => {
    try {
      const a = await api(`/console/api/handoffs/${id}/assist`);
      if (state.selected === id) renderAssist(a.summary, a.suggestions, a.source);
    } catch (e) { /* the previous summary stays */ }
  }, 1000);
}

function renderAssist(summary, suggestions, source) {
  $("summary").textContent = summary || "—";
  $("summary-source").textContent = source === "model" ? "(generated)" : "";
  const list = $("suggestions");
  list.replaceChildren();
  for (const text of suggestions || []) {
    const button = el("button", { type: "button", className: "suggestion", text });
    button.addEventListener("click", () => {
      const box = $("reply");
      if (!box.disabled) { box.value = text; box.focus(); }
    });
    list.append(el("li", {}, [button]));
  }
}

function renderNotes(notes) {
  $("notes").replaceChildren(...notes.map((n) =>
    el("li", {}, [el("span", { className: "sender", text: `${n.author} · ${new Date(n.at).toLocaleString()}` }),
                 el("p", { className: "text", text: n.text })])));
}

function renderControls() {
  const d = state.detail;
  const h = d && d.handoff;
  const active = h && (h.status === "waiting" || h.status === "assigned");
  const mine = h && d.can_act;
  $("claim").disabled = !(h && h.status === "waiting");
  $("resolve").disabled = !(active && mine);
  $("return").disabled = !(active && mine);
  const canReply = h && h.status === "assigned" && mine;
  $("reply").disabled = !canReply;
  $("send").disabled = !canReply;
  $("reply").placeholder = canReply ? "Write to the customer" : "Claim the conversation to reply";
  $("note").disabled = !(active && mine);
  $("add-note").disabled = !(active && mine);
  $("reassign-box").hidden = !(me.role === "supervisor" && active);
}

async function select(id) {
  const ticket = ++selecting;
  if (state.selected !== id) state.streamed = [];
  state.selected = id;
  state.unread.delete(id);
  renderQueue();
  try {
    const d = await api(`/console/api/handoffs/${id}`);
    if (ticket !== selecting) return; // another conversation, or a newer copy of this one
    state.detail = d;
    state.lastSeq = -1;
    const h = d.handoff;
    $("conversation-title").textContent = h.customer_name || `Conversation ${h.conversation_id}`;
    const status = h.status === "cancelled" ? "cancelled by the customer" : h.status;
    $("conversation-meta").textContent =
      `${h.channel} · ${languageName(h.language)} · ${status}${h.agent ? " · " + h.agent : ""} · asked: ${h.reason}`;
    const earlier = (d.context && d.context.messages) || [];
    $("context").replaceChildren(...earlier.map((m) => messageItem({ ...m, seq: "" })));
    $("context-title").hidden = earlier.length === 0;
    $("messages").replaceChildren();
    d.messages.forEach(addMessage);
    // what the stream delivered while this was loading (addMessage skips what d had)
    state.streamed.sort((a, b) => a.seq - b.seq).forEach(addMessage);
    state.streamed = [];
    renderAssist(d.summary, d.suggestions, d.assist_source);
    renderNotes(d.notes);
    renderControls();
    showError("");
  } catch (e) {
    showError(e.message);
  }
}

async function act(path, body) {
  const id = state.selected;
  if (!id) return;
  try {
    await api(`/console/api/handoffs/${id}/${path}`, { method: "POST", body });
    await select(id);
  } catch (e) {
    showError(e.message);
  }
}

$("claim").addEventListener("click", () => act("claim"));
$("resolve").addEventListener("click", () => act("resolve"));
$("return").addEventListener("click", () => act("return"));

$("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = $("reply");
  const text = box.value.trim();
  if (!text || !state.selected) return;
  $("send").disabled = true;
  try {
    const result = await api(`/console/api/handoffs/${state.selected}/reply`,
      { method: "POST", body: { text } });
    result.messages.forEach(addMessage);
    box.value = ""; // only once Rasa accepted it; on failure the text stays here
    showError("", "reply-error");
  } catch (e) {
    showError(`Not sent: ${e.message}`, "reply-error");
  } finally {
    renderControls();
  }
});

$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("note").value.trim();
  if (!text || !state.selected) return;
  try {
    await api(`/console/api/handoffs/${state.selected}/notes`, { method: "POST", body: { text } });
    $("note").value = "";
  } catch (e) {
    showError(e.message);
  }
});

$("reassign-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("reassign", { agent_id: Number($("reassign-to").value) });
});

$("logout").addEventListener("click", async () => {
  try { await api("/console/logout", { method: "POST" }); } catch (e) { /* signed out anyway */ }
  window.location.assign("/console/login");
});

$("analytics-link").hidden = me.role !== "supervisor";

async function loadStaff() {
  if (me.role !== "supervisor") return;
  const people = await api("/console/api/staff");
  $("reassign-to").replaceChildren(...people.map((p) =>
    el("option", { value: String(p.id), text: `${p.name} (${p.role})` })));
}

function connect() {
  const source = new EventSource("/console/api/stream");
  let dropped = false;
  source.addEventListener("open", () => {
    $("connection").textContent = "Live";
    if (dropped && state.selected) select(state.selected); // catch up after a reconnect
    dropped = false;
  });
  source.addEventListener("error", () => {
    $("connection").textContent = "Reconnecting…";
    dropped = true;
  });
  source.addEventListener("queue", (e) => {
    state.queue = JSON.parse(e.data);
    renderQueue();
    const h = state.detail && state.detail.handoff;
    const now = h && state.queue.find((q) => q.id === h.id);
    if (h && (!now ? h.status === "waiting" || h.status === "assigned"
                   : now.status !== h.status || now.agent_id !== h.agent_id)) {
      select(h.id); // claimed, reassigned or closed elsewhere
    }
  });
  source.addEventListener("message", (e) => {
    const event = JSON.parse(e.data);
    if (event.handoff_id === state.selected) {
      state.streamed.push(event.message);
      if (state.streamed.length > 1000) state.streamed.shift(); // any new fetch has those
      addMessage(event.message);
      refreshAssistSoon();
    } else {
      state.unread.add(event.handoff_id);
      renderQueue();
    }
  });
  source.addEventListener("note", (e) => {
    const event = JSON.parse(e.data);
    if (event.handoff_id === state.selected && state.detail) {
      state.detail.notes.push(event.note);
      renderNotes(state.detail.notes);
    }
  });
  source.addEventListener("assist", (e) => {
    const event = JSON.parse(e.data);
    if (event.handoff_id === state.selected && event.last_seq === state.lastSeq) {
      renderAssist(event.assist.summary, event.assist.suggestions, event.assist.source);
    }
  });
  source.addEventListener("signed_out", () => window.location.assign("/console/login"));
}

setInterval(renderQueue, 15000); // waiting times keep counting between events
loadStaff().catch((e) => showError(e.message));
connect();
