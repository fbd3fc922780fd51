// The celprice console: a pricing playground and a usage dashboard over the
// server's own API. The API key lives in memory and sessionStorage (this tab
// only) and travels only in the Authorization header, never in a URL.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const EXPRESSIONS = [
    ["resource_expression", "resource_fee", ""],
    ["inference_expression", "inference_fee", "image_count(outputs) * prices.per_image"],
    ["royalty_expression", "royalty_fee", ""],
    ["partner_expression", "partner_fee", ""],
    ["total_expression", "total", ""],
    ["description", "description", '"$" + to_dollars(prices.per_image) + " per image"'],
  ];
  const TASK_FIELDS = ["output_meta", "resources", "task_inputs"];
  const NUMBER_FIELDS = ["usage_seconds", "elapsed_ms"];
  const KEY_STORE = "celprice.console.key";
  let apiKey = sessionStorage.getItem(KEY_STORE) || "";
  let lastResponse = null;
  let lastRequest = null;

  // --- talking to the server --------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  async function api(method, path, body) {
    if (!apiKey) throw new ApiError(401, "enter an API key (inf_...) above first");
    const init = { method, headers: { "Authorization": "Bearer " + apiKey, "Accept": "application/json" }, cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = answer && answer.detail ? answer.detail : response.status + " " + response.statusText;
      if (response.status === 401) showStatus("Key refused: " + detail, true);
      throw new ApiError(response.status, detail);
    }
    return answer.data;
  }

  function showStatus(text, bad) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", !!bad);
    status.setAttribute("role", bad ? "alert" : "status");
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value; else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  // --- money ------------------------------------------------------------------

  function dollars(microcents) {
    // Display only: int64 microcents beyond 2^53 lose digits in a JS number.
    const usd = Number(microcents) / 1e8;
    const digits = usd !== 0 && Math.abs(usd) < 0.01 ? 6 : 2;
    return "$" + usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: digits });
  }
  const count = (n) => Number(n).toLocaleString("en-US");

  // --- the playground -----------------------------------------------------------

  function buildExpressionFields() {
    const box = $("expressions");
    for (const [field, , initial] of EXPRESSIONS) {
      box.append(
        el("label", { for: field }, field),
        el("textarea", { id: field, rows: field === "description" ? "1" : "2", placeholder: field === "description" ? "plain text, or a CEL string expression" : "empty: the default" }),
        el("div", { class: "field-error", id: field + "-error", hidden: "" }),
      );
      $(field).value = initial;
      $("explain-component").append(el("option", { value: field }, field));
    }
    $("explain-component").value = "inference_expression";
  }

  function parseJSON(id, errors) {
    const text = $(id).value.trim();
    if (!text) return undefined;
    try {
      $(id).removeAttribute("aria-invalid");
      return JSON.parse(text);
    } catch (e) {
      $(id).setAttribute("aria-invalid", "true");
      errors.push(id + ": " + e.message);
      return undefined;
    }
  }

  function draftRequest() {
    const errors = [];
    const pricing = {};
    const prices = parseJSON("prices", errors);
    if (prices !== undefined) pricing.prices = prices;
    for (const [field] of EXPRESSIONS) {
      if ($(field).value.trim()) pricing[field] = $(field).value;
    }
    if ($("estimate_expression").value.trim()) pricing.estimate = $("estimate_expression").value;
    const request = { pricing };
    for (const field of TASK_FIELDS) {
      const value = parseJSON(field, errors);
      if (value !== undefined) request[field] = value;
    }
    for (const field of NUMBER_FIELDS) {
      const text = $(field).value.trim();
      if (text) request[field] = Number(text);
    }
    return { request, errors };
  }

  // "inference_expression:1:13: message": where to put the caret.
  const LOCATED = /^([a-z_]+):(\d+):(\d+): ([\s\S]*)$/;

  function caretText(source, line, column, message) {
    const text = source.split("\n")[line - 1] || "";
    return " " + line + " | " + text + "\n" + " ".repeat(String(line).length + 3 + column) + "^\n" + message;
  }

  function showFieldError(field, error) {
    const box = $(field + "-error");
    const input = $(field);
    box.replaceChildren();
    if (!error) {
      box.hidden = true;
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      return;
    }
    const located = LOCATED.exec(error);
    const ownError = located && (located[1] === field || (field === "estimate_expression" && located[1] === "estimate"));
    if (ownError) {
      box.textContent = field + ":" + located[2] + ":" + located[3] + "\n" +
        caretText(input.value, Number(located[2]), Number(located[3]), located[4]);
    } else {
      box.textContent = error;
    }
    box.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", box.id);
  }

  function showFees(response) {
    const body = $("fees").querySelector("tbody");
    body.replaceChildren();
    for (const [field, name] of EXPRESSIONS) {
      const entry = response[name] || {};
      if (name === "description") {
        $("description-value").textContent = entry.error ? "(failed)" : entry.value;
      } else {
        const failed = "error" in entry;
        body.append(el("tr", { "data-component": name },
          el("th", { scope: "row" }, name),
          el("td", { class: "num" + (failed ? " failed" : ""), "data-value": failed ? "" : String(entry.value) }, failed ? "error" : count(entry.value)),
          el("td", { class: "num" }, failed ? "" : dollars(entry.value))));
      }
      // Each error under its own field: with the caret when it has a position, else as the server says it.
      showFieldError(field, entry.error || null);
    }
  }

  function showEstimate(data) {
    const box = $("estimate");
    box.replaceChildren();
    if (!data) return;
    // The estimate's own formula error ("estimate:1:5: ...") goes under its field, with the caret.
    const located = typeof data.error === "string" ? LOCATED.exec(data.error) : null;
    showFieldError("estimate_expression", located && located[1] === "estimate" ? data.error : null);
    const lines = [];
    const add = (label, value) => lines.push(el("div", {}, el("strong", {}, label + ": "), value));
    for (const [name, value] of Object.entries(data)) {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const parts = Object.entries(value).map(([k, v]) => k + " " + (typeof v === "number" && /min|max|value|estimate|cost/.test(k) ? count(v) + " (" + dollars(v) + ")" : JSON.stringify(v)));
        add(name, parts.join(", "));
      } else if (typeof value === "number" && name !== "confidence") {
        add(name, count(value) + " (" + dollars(value) + ")");
      } else {
        add(name, value === null ? "—" : String(value));
      }
    }
    box.append(...lines);
  }

  function treeNode(step) {
    const line = el("li", {}, el("code", {}, step.text));
    if (step.note) line.append(" ", el("span", { class: "n" }, "(" + step.note + ")"));
    else if (step.error) line.append(" = ", el("span", { class: "e" }, "error: " + step.error));
    else if (!step.literal && "value" in step) line.append(" = ", el("span", { class: "v" }, JSON.stringify(step.value)));
    if (step.children.length) line.append(el("ul", {}, ...step.children.map(treeNode)));
    return line;
  }

  function showTree(data) {
    const box = $("explain-tree");
    box.replaceChildren();
    if (!data) return;
    if (data.problem) {
      box.append(el("div", { class: "caret" }, data.problem.component + ":" + (data.problem.line ?? "") + ":" + (data.problem.column ?? "") + ": " + data.problem.message + (data.problem.snippet ? "\n" + data.problem.snippet : "")));
    } else if (!data.tree) {
      box.append(el("p", { class: "note" }, "plain text: " + JSON.stringify(data.source)));
    } else {
      box.append(el("ul", {}, treeNode(data.tree)));
    }
  }

  let sequence = 0;
  async function refresh() {
    const mine = ++sequence;
    const { request, errors } = draftRequest();
    const inputError = errors.length ? errors.join("\n") : "";
    $("task-error").textContent = inputError;
    $("task-error").hidden = !inputError;
    if (errors.length) return;
    if (!apiKey) { showStatus("Enter an API key with the billing:read scope to evaluate.", false); return; }
    try {
      const component = $("explain-component").value;
      const [evaluated, estimate, explained] = await Promise.all([
        api("POST", "/usage/cel/evaluate", request),
        api("POST", "/usage/cel/estimate", request),
        api("POST", "/usage/cel/explain", { ...request, component }),
      ]);
      if (mine !== sequence) return; // a newer edit is on its way
      lastRequest = request;
      lastResponse = evaluated;
      showFees(evaluated);
      showEstimate(estimate);
      showTree(explained);
      if (!$("playground").hidden) showStatus("Evaluated.", false);
    } catch (e) {
      if (mine !== sequence) return;
      if (e.status !== 401) {
        $("task-error").textContent = e.message;
        $("task-error").hidden = false;
      }
    }
  }

  function debounce(fn, ms) {
    let timer = 0;
    return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function downloadCases() {
    if (!lastRequest || !lastResponse) { showStatus("Nothing evaluated yet.", true); return; }
    const expect = {};
    for (const [, name] of EXPRESSIONS) {
      const entry = lastResponse[name];
      expect[name] = "error" in entry ? { error: entry.error } : entry.value;
    }
    const { pricing, ...task } = lastRequest;
    const file = { pricing, cases: [{ name: "playground sample", ...task, expect }] };
    const blob = new Blob([JSON.stringify(file, null, 2) + "\n"], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "playground-cases.json" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  // --- the usage dashboard -----------------------------------------------------

  const PALETTE = ["#2457c5", "#e07b00", "#1e7b34", "#b3261e", "#7a3db8", "#00838f", "#8d6e00", "#c2185b", "#455a64", "#6d4c41"];
  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    for (const child of children) node.append(child);
    return node;
  }

  function drawChart(breakdown) {
    const apps = [...new Set(breakdown.timeseries.flatMap((b) => Object.keys(b.per_app)))].sort();
    const colour = (app) => PALETTE[apps.indexOf(app) % PALETTE.length];
    const totals = breakdown.timeseries.map((b) => Object.values(b.per_app).reduce((a, v) => a + Number(v), 0));
    const max = Math.max(1, ...totals);
    const width = 720, height = 260, left = 64, bottom = 28, top = 10;
    const plot = height - bottom - top;
    const step = (width - left - 8) / Math.max(1, breakdown.timeseries.length);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-title", id: "chart-svg" },
      svg("title", { id: "chart-title" }, `Spend by app per bucket; total ${dollars(breakdown.total_cost)}`));
    for (const fraction of [0, 0.5, 1]) {
      const y = top + plot - plot * fraction;
      chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, stroke: "#d8dde3" }),
        svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": "11", fill: "#5b6570" }, dollars(max * fraction)));
    }
    breakdown.timeseries.forEach((bucket, i) => {
      const group = svg("g", { class: "bar", "data-date": bucket.date, "data-total": String(totals[i]), tabindex: "0",
        "aria-label": `${bucket.date}: ${dollars(totals[i])}` });
      let y = top + plot;
      for (const app of apps) {
        const value = Number(bucket.per_app[app] || 0);
        if (!value) continue;
        const h = (value / max) * plot;
        y -= h;
        group.append(svg("rect", { x: left + i * step + step * 0.15, y, width: Math.max(1, step * 0.7), height: h,
          fill: colour(app), "data-app": app, "data-value": String(value) },
          svg("title", {}, `${bucket.date} · ${app}: ${dollars(value)}`)));
      }
      chart.append(group);
      const every = Math.ceil(breakdown.timeseries.length / 8);
      if (i % every === 0) {
        chart.append(svg("text", { x: left + i * step + step / 2, y: height - 8, "text-anchor": "middle", "font-size": "11", fill: "#5b6570" },
          bucket.date.slice(5, 16)));
      }
    });
    $("chart").replaceChildren(chart);
    $("legend").replaceChildren(...apps.map((app) => el("li", {}, el("span", {}), app)));
    // Inline style attributes are blocked by the page's policy; colour the swatches through the DOM.
    [...$("legend").querySelectorAll("span")].forEach((s, i) => { s.style.background = colour(apps[i]); });
  }

  function showBreakdown(breakdown) {
    $("total-cost").textContent = dollars(breakdown.total_cost);
    $("total-cost").dataset.value = String(breakdown.total_cost);
    const trend = breakdown.trend_percent;
    $("trend").textContent = trend === undefined ? "—" : (trend > 0 ? "▲ " : trend < 0 ? "▼ " : "") + Math.abs(trend).toFixed(1) + "%";
    $("trend").className = trend > 0 ? "up" : trend < 0 ? "down" : "";
    $("period").textContent = breakdown.period_start.slice(0, 16).replace("T", " ") + " – " + breakdown.period_end.slice(0, 16).replace("T", " ") + " UTC";
    drawChart(breakdown);
    $("top-apps").querySelector("tbody").replaceChildren(...breakdown.per_model.map((row) =>
      el("tr", {}, el("td", {}, row.app_endpoint), el("td", { class: "num" }, count(row.call_count)),
        el("td", { class: "num", "data-value": String(row.cost) }, dollars(row.cost)))));
  }

  function showSummary(summary) {
    const box = $("summary");
    box.replaceChildren();
    for (const [key, title] of [["tier_usage", "by tier"], ["type_usage", "by event type"], ["model_usage", "by model"]]) {
      const rows = Object.entries(summary[key] || {});
      box.append(el("h4", {}, title));
      box.append(rows.length
        ? el("table", { class: "summary", "data-kind": key }, el("tbody", {}, ...rows.map(([name, seconds]) =>
          el("tr", {}, el("td", {}, name), el("td", { class: "num" }, Number(seconds).toLocaleString("en-US", { maximumFractionDigits: 3 }) + " s")))))
        : el("p", { class: "note" }, "none"));
    }
    box.append(el("p", {}, "Total: ", el("strong", {}, count(summary.total_usage) + " s")));
  }

  async function loadUsage(event) {
    if (event) event.preventDefault();
    try {
      const range = $("range").value;
      const [breakdown, summary] = await Promise.all([
        api("GET", "/usage/breakdown?range=" + encodeURIComponent(range)),
        api("GET", "/usage/summary"),
      ]);
      showBreakdown(breakdown);
      showSummary(summary);
      $("usage-body").hidden = false;
      showStatus("Usage loaded.", false);
    } catch (e) {
      $("usage-body").hidden = true;
      if (e.status !== 401) showStatus(e.message, true);
    }
  }

  async function lookupTask(event) {
    event.preventDefault();
    const box = $("task-cost");
    box.replaceChildren();
    try {
      const data = await api("GET", "/usage/tasks/" + encodeURIComponent($("task-id").value.trim()) + "/cost");
      box.append(el("table", { id: "task-cost-table" }, el("tbody", {}, ...Object.entries(data).map(([k, v]) =>
        el("tr", {}, el("th", { scope: "row" }, k), el("td", { class: "num" }, typeof v === "number" ? count(v) + " (" + dollars(v) + ")" : String(v)))))));
    } catch (e) {
      box.append(el("p", { class: "e", role: "alert" }, e.message));
    }
  }

  // --- pages and the key -------------------------------------------------------

  function showPage() {
    const page = location.hash === "#usage" ? "usage" : "playground";
    $("playground").hidden = page !== "playground";
    $("usage").hidden = page !== "usage";
    for (const name of ["playground", "usage"]) {
      if (name === page) $("nav-" + name).setAttribute("aria-current", "page"); else $("nav-" + name).removeAttribute("aria-current");
    }
    if (page === "usage" && apiKey) loadUsage();
  }

  function useKey(event) {
    event.preventDefault();
    apiKey = $("api-key").value.trim();
    $("api-key").value = "";
    sessionStorage.setItem(KEY_STORE, apiKey);
    showStatus("Key set (kept in this tab only).", false);
    refresh();
    if (location.hash === "#usage") loadUsage();
  }

  function forgetKey() {
    apiKey = "";
    sessionStorage.removeItem(KEY_STORE);
    showStatus("Key forgotten.", false);
  }

  function start() {
    buildExpressionFields();
    const later = debounce(refresh, 250);
    $("draft").addEventListener("input", later);
    $("explain-component").addEventListener("change", refresh);
    $("download").addEventListener("click", downloadCases);
    $("key-form").addEventListener("submit", useKey);
    $("forget-key").addEventListener("click", forgetKey);
    $("usage-form").addEventListener("submit", loadUsage);
    $("task-form").addEventListener("submit", lookupTask);
    window.addEventListener("hashchange", showPage);
    showPage();
    if (apiKey) { showStatus("Using the key of this tab.", false); refresh(); }
    else showStatus("Enter an API key with the billing:read scope.", false);
  }

  start();
})();
