// Tandem analytics dashboard: vanilla JS and plotly.js (served by the console),
// no build step. Text goes in through textContent only. Every chart has a table
// beside it with the same numbers and a drill-down button per row, so the
// dashboard works from the keyboard and with a screen reader too.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
const API = "/console/api/analytics";
const RATES = new Set([
  "containment", "escalation", "abandonment", "fallback_rate", "coverage",
  "csat_response_rate", "rec_ctr",
]);
const state = { metrics: {}, filters: new URLSearchParams() };

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

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function api(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
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

function query(extra = {}) {
  const params = new URLSearchParams(state.filters);
  for (const [key, value] of Object.entries(extra)) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function label(name) {
  const words = { frt_s: "First response time", resolution_s: "Resolution time",
    queue_wait_s: "Queue wait", csat: "CSAT", csat_response_rate: "CSAT response rate",
    rec_ctr: "Recommendation click-through", avg_response_ms: "Bot response time",
    fallback_rate: "Fallback rate" };
  if (words[name]) return words[name];
  return name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");
}

function format(name, value) {
  if (value === null || value === undefined) return "—";
  if (RATES.has(name)) return `${(value * 100).toFixed(1)} %`;
  if (name.endsWith("_ms")) return `${Math.round(value)} ms`;
  if (name.endsWith("_s")) return value >= 120 ? `${(value / 60).toFixed(1)} min` : `${value.toFixed(0)} s`;
  if (name === "csat") return `${value.toFixed(2)} / 5`;
  if (name === "conversations") return String(Math.round(value));
  return String(Math.round(value * 100) / 100);
}

function day(epoch) {
  return new Date(epoch * 1000).toISOString().slice(0, 10);
}

function stamp(epoch) {
  return bucket() === "hour" ? when(epoch) : day(epoch);
}

function when(epoch) {
  return new Date(epoch * 1000).toISOString().slice(0, 16).replace("T", " ");
}

function fillSelect(id, values, keepFirst = true) {
  const select = $(id);
  const first = keepFirst ? [select.options[0]] : [];
  select.replaceChildren(...first, ...values.map((v) => el("option", { value: v, text: v })));
}

const PLOT_CONFIG = { displayModeBar: false, responsive: true }; // the tables below hold the numbers
const MARGIN = { l: 56, r: 16, t: 8, b: 48 };

// filters

function readFilters() {
  const params = new URLSearchParams();
  for (const name of ["since", "until", "channel", "journey"]) {
    const value = $(name).value;
    if (value) params.set(name, value);
  }
  state.filters = params;
  $("export").href = `${API}/export.csv${query()}`;
}

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  readFilters();
  refresh();
});

$("metric").addEventListener("change", () => loadSeries().catch((e) => showError(e.message)));
$("form").addEventListener("change", () => loadFunnel().catch((e) => showError(e.message)));

$("logout").addEventListener("click", async () => {
  try {
    await fetch("/console/logout", { method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf } });
  } catch (e) { /* signed out anyway */ }
  window.location.assign("/console/login");
});

// key figures

async function loadSummary() {
  const data = await api(`${API}/summary${query()}`);
  const items = [];
  for (const [name, value] of Object.entries(data.metrics)) {
    if (name.endsWith("_mean")) continue; // the median's companion, in the metric list
    items.push(el("div", { className: "kpi", title: data.definitions[name] || "" }, [
      el("dt", { text: label(name) }),
      el("dd", { text: format(name, value) }),
    ]));
  }
  $("kpis").replaceChildren(...items);
}

// time series

function bucket() {
  return $("bucket").value;
}

async function loadSeries() {
  const metric = $("metric").value || "conversations";
  $("metric-definition").textContent = state.metrics[metric] || "";
  const data = await api(`${API}/timeseries${query({ metric, bucket: bucket() })}`);
  const points = data.points;
  const trace = {
    type: "scatter", mode: "lines+markers", name: label(metric),
    x: points.map((p) => new Date(p.bucket * 1000).toISOString().slice(0, 19).replace("T", " ")), y: points.map((p) => p.value),
    customdata: points.map((p) => p.bucket),
    text: points.map((p) => `${format(metric, p.value)} (${p.conversations} conversations)`),
    hovertemplate: "%{x}: %{text}<extra></extra>",
    marker: { size: 9, color: "#0b5cad" }, line: { color: "#0b5cad" },
  };
  const layout = {
    margin: MARGIN, height: 280, hovermode: "closest",
    xaxis: bucket() === "hour"
      ? { type: "date", tickformat: "%d %b %H:%M" }
      : { type: "date", tickformat: "%d %b", dtick: 86400000 },
    yaxis: { rangemode: "tozero", tickformat: RATES.has(metric) ? ".0%" : "" },
  };
  const chart = $("series-chart");
  await Plotly.react(chart, [trace], layout, PLOT_CONFIG);
  chart.setAttribute("aria-label", `${label(metric)} per ${bucket()}, ${points.length} periods`);
  if (!chart.dataset.wired) {
    chart.dataset.wired = "1";
    chart.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (point) drill({ metric: $("metric").value, bucket_start: point.customdata, bucket: bucket() },
        `${label($("metric").value)}, ${bucket()} of ${stamp(point.customdata)}`);
    });
  }
  $("series-table").tBodies[0].replaceChildren(...points.map((p) => el("tr", {}, [
    el("td", { text: stamp(p.bucket) }),
    el("td", { text: format(metric, p.value) }),
    el("td", { text: String(p.conversations) }),
    el("td", {}, [drillButton(`Conversations of ${stamp(p.bucket)}`,
      { metric, bucket_start: p.bucket, bucket: bucket() }, `${label(metric)}, ${bucket()} of ${stamp(p.bucket)}`)]),
  ])));
}

// funnel

async function loadFunnel() {
  const form = $("form").value;
  const chart = $("funnel-chart");
  if (!form) {
    $("funnel-empty").hidden = false;
    Plotly.purge(chart);
    $("funnel-table").tBodies[0].replaceChildren();
    return;
  }
  const data = await api(`${API}/funnel${query({ form })}`);
  const steps = data.steps;
  $("funnel-empty").hidden = steps.some((s) => s.count > 0);
  const trace = {
    type: "funnel", y: steps.map((s) => s.step), x: steps.map((s) => s.count),
    customdata: steps.map((s) => s.step), textinfo: "value+percent initial",
    marker: { color: "#0b5cad" }, hovertemplate: "%{y}: %{x} conversations<extra></extra>",
  };
  const layout = { margin: { ...MARGIN, l: 140 }, height: Math.max(200, 48 * steps.length + 40) };
  await Plotly.react(chart, [trace], layout, PLOT_CONFIG);
  chart.setAttribute("aria-label", `Funnel of ${form}, ${steps.length} steps`);
  if (!chart.dataset.wired) {
    chart.dataset.wired = "1";
    chart.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (point) drill({ form: $("form").value, step: point.customdata },
        `${$("form").value}: reached ${point.customdata}`);
    });
  }
  $("funnel-table").tBodies[0].replaceChildren(...steps.map((s) => el("tr", {}, [
    el("th", { scope: "row", text: s.step }),
    el("td", { text: String(s.count) }),
    el("td", {}, [drillButton(`Conversations that reached ${s.step}`, { form, step: s.step },
      `${form}: reached ${s.step}`)]),
  ])));
}

// drill-down and transcripts

function drillButton(text, params, title) {
  const button = el("button", { type: "button", className: "link-button", text: "View" });
  button.setAttribute("aria-label", text);
  button.addEventListener("click", () => drill(params, title));
  return button;
}

async function drill(params, title) {
  try {
    const data = await api(`${API}/conversations${query(params)}`);
    const rows = data.conversations;
    $("drilldown").hidden = false;
    $("drilldown-title").textContent = `Conversations behind ${title}`;
    $("drilldown-count").textContent = rows.length >= data.limit
      ? `The first ${rows.length} conversations.` : `${rows.length} conversations.`;
    $("drilldown-table").tBodies[0].replaceChildren(...rows.map((row) => {
      const open = el("button", { type: "button", className: "link-button",
        text: `Transcript ${row.conversation.slice(0, 8)}` });
      open.setAttribute("aria-label", `Open the transcript of conversation ${row.conversation.slice(0, 8)}`);
      open.addEventListener("click", () => openTranscript(row.conversation));
      return el("tr", {}, [
        el("td", { text: when(row.started_at) }),
        el("td", { text: row.channel || "—" }),
        el("td", { text: row.journey || "—" }),
        el("td", { text: row.outcome || "—" }),
        el("td", { text: row.csat === null || row.csat === undefined ? "—" : String(row.csat) }),
        el("td", { text: row.handed_off ? "yes" : "no" }),
        el("td", {}, [open]),
      ]);
    }));
    $("transcript").hidden = true;
    $("drilldown-title").focus();
    showError("");
  } catch (e) {
    showError(e.message);
  }
}

const SENDER = { customer: "Customer", bot: "Bot", agent: "Agent", system: "System" };

async function openTranscript(conversation) {
  try {
    const data = await api(`${API}/conversations/${encodeURIComponent(conversation)}`);
    $("transcript").hidden = false;
    $("transcript-title").textContent = `Transcript ${conversation.slice(0, 8)}`;
    $("transcript-meta").textContent =
      `${when(data.started_at)} UTC · ${data.channel} · ${data.journey || "no journey"} · ` +
      `${data.outcome}${data.csat ? ` · CSAT ${data.csat}` : ""}`;
    $("transcript-messages").replaceChildren(...data.messages.map((m) => el(
      "li", { className: `message ${m.sender}` }, [
        el("div", { className: "sender", text: `${m.agent && m.sender === "agent" ? m.agent : SENDER[m.sender] || m.sender} · ${m.at.slice(11, 19)}` }),
        el("p", { className: "text", text: m.text }),
      ])));
    $("transcript-empty").hidden = data.messages.length > 0;
    $("transcript-title").focus();
    showError("");
  } catch (e) {
    showError(e.message);
  }
}

// start

async function refresh() {
  $("status").textContent = "Loading…";
  try {
    await Promise.all([loadSummary(), loadSeries(), loadFunnel()]);
    $("status").textContent = "Up to date.";
    showError("");
  } catch (e) {
    $("status").textContent = "";
    showError(e.message);
  }
}

async function start() {
  try {
    const options = await api(`${API}/options`);
    state.metrics = options.metrics;
    fillSelect("channel", options.channels);
    fillSelect("journey", options.journeys);
    fillSelect("form", options.forms, false);
    $("metric").replaceChildren(...Object.keys(options.metrics).map((m) =>
      el("option", { value: m, text: label(m) })));
    if (options.first_day) $("since").value = options.first_day;
    if (options.last_day) $("until").value = options.last_day;
  } catch (e) {
    showError(e.message);
    return;
  }
  readFilters();
  await refresh();
}

start();
