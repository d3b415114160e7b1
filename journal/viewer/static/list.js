// The list of runs: filter by status, task and review, search by text; the filters live in the URL.
"use strict";

(() => {
  const { h, fill, api, tokens, cost, duration, when, badge, reviewBadge, label } = Interns;
  const STATUSES = ["running", "awaiting_approval", "succeeded", "failed", "limit_exceeded", "cancelled", "interrupted"];
  const params = new URLSearchParams(location.search);
  const state = {
    q: params.get("q") || "",
    status: params.get("status") || "",
    task: params.get("task") || "",
    review: params.get("review") || "",
    sort: params.get("sort") || "",
  };
  // Columns a click sorts by (a second click reverses); runs come newest first until one is picked.
  const SORTS = {
    status: (r) => r.status, task: (r) => r.task, started: (r) => r.started, took: (r) => r.duration ?? Infinity,
    tokens: (r) => r.usage.total_tokens, cost: (r) => r.usage.cost_usd ?? -1, blocked: (r) => r.denials, approved: (r) => r.approvals,
  };
  let lastRuns = [];
  const app = document.getElementById("app");
  let timer = null;
  let searchDelay = null;

  const search = h("input", { type: "search", id: "search", placeholder: "Search runs: task, goal, id, model, reason…",
    value: state.q, "aria-label": "Search runs" });
  const statusSelect = h("select", { id: "status-filter", "aria-label": "Status" },
    h("option", { value: "" }, "every status"), STATUSES.map((s) => h("option", { value: s }, label(s))));
  const taskSelect = h("select", { id: "task-filter", "aria-label": "Task" }, h("option", { value: "" }, "every task"));
  const reviewBox = h("input", { type: "checkbox", id: "review-filter" });
  const count = h("span", { class: "count", id: "count" });
  const body = h("tbody");
  const header = h("tr");
  statusSelect.value = state.status;
  reviewBox.checked = state.review === "awaiting";

  search.addEventListener("input", () => {
    clearTimeout(searchDelay);
    searchDelay = setTimeout(() => update({ q: search.value }), 180);
  });
  statusSelect.addEventListener("change", () => update({ status: statusSelect.value }));
  taskSelect.addEventListener("change", () => update({ task: taskSelect.value }));
  reviewBox.addEventListener("change", () => update({ review: reviewBox.checked ? "awaiting" : "" }));

  fill(app, 
    h("div", { class: "toolbar" }, search, statusSelect, taskSelect,
      h("label", {}, reviewBox, "awaiting review"), count),
    h("table", { class: "runs", id: "runs" }, h("thead", {}, header), body));

  function heading(text, key, attrs = {}) {
    if (!key) return h("th", attrs, text);
    const [by, dir] = state.sort.split(":");
    const mark = by === key ? (dir === "asc" ? " ▲" : " ▼") : "";
    const next = by === key && dir !== "asc" ? `${key}:asc` : `${key}:desc`;
    return h("th", { ...attrs, "aria-sort": by === key ? (dir === "asc" ? "ascending" : "descending") : null },
      h("button", { class: "sort", type: "button", dataset: { sort: key }, onclick: () => update({ sort: next }, false) }, text, mark));
  }

  function renderHeader() {
    fill(header, heading("Status", "status"), heading("Run", "task"), heading("Started", "started"), heading("Took", "took", { class: "num" }),
      heading("Model"), heading("Tokens", "tokens", { class: "num" }), heading("Cost", "cost", { class: "num" }),
      heading("Blocked", "blocked", { class: "num", title: "tool calls and commands the policy refused" }),
      heading("Approved", "approved", { class: "num", title: "calls a person approved" }), heading("Review"));
  }

  /** The runs in the order asked for, each retry right under the run it retried (when both are listed). */
  function ordered(runs) {
    const [by, dir] = state.sort.split(":");
    const key = SORTS[by];
    const sorted = key ? [...runs].sort((a, b) => {
      const x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (dir === "asc" ? 1 : -1);
    }) : runs;
    const listed = new Set(runs.map((r) => r.run_id));
    const retries = new Map();
    for (const run of sorted) if (run.retry_of && listed.has(run.retry_of)) (retries.get(run.retry_of) || retries.set(run.retry_of, []).get(run.retry_of)).push(run);
    const out = [];
    const place = (run, depth) => {
      out.push([run, depth]);
      for (const retry of retries.get(run.run_id) || []) place(retry, depth + 1);
    };
    for (const run of sorted) if (!(run.retry_of && listed.has(run.retry_of))) place(run, 0);
    return out;
  }

  function update(change, reload = true) {
    Object.assign(state, change);
    const query = new URLSearchParams(Object.entries(state).filter(([, v]) => v));
    history.replaceState(null, "", query.toString() ? `?${query}` : location.pathname);
    if (reload) load();
    else show(lastRuns);
  }

  function row([run, depth], _, all) {
    const href = `/runs/${encodeURIComponent(run.run_id)}`;
    const took = run.duration ?? Interns.between(run.started, null);
    const model = run.model.replace(/^scripted:.*/, "scripted");
    const retriedAs = all.find(([other]) => other.retry_of === run.run_id)?.[0];
    return h("tr", { class: depth ? "retry" : null, dataset: { run: run.run_id }, onclick: (e) => { if (!e.target.closest("a")) location.href = href; } },
      h("td", {}, badge(run.status),
        run.steps.total ? h("div", { class: "small muted progress" }, `${run.steps.done}/${run.steps.total} steps`) : null,
        run.waiting ? h("div", { class: "small muted" }, `${run.waiting} waiting`) : null),
      h("td", { class: depth ? `depth-${Math.min(depth, 3)}` : null },
        depth ? h("span", { class: "small muted retry-mark" }, "↳ retry ") : null,
        h("a", { class: "run-task", href }, run.task),
        h("div", { class: "run-id" }, run.run_id),
        run.reason && run.status !== "succeeded" ? h("div", { class: "run-reason" }, run.reason.split("\n")[0].slice(0, 200)) : null,
        retriedAs ? h("div", { class: "small" }, "retried as ", h("a", { class: "retried-as", href: `/runs/${encodeURIComponent(retriedAs.run_id)}` }, retriedAs.run_id)) : null),
      h("td", { class: "nowrap", title: run.started }, when(run.started)),
      h("td", { class: "num" }, duration(took)),
      h("td", { class: "small", title: run.model }, model),
      h("td", { class: "num" }, tokens(run.usage.total_tokens)),
      h("td", { class: "num" }, cost(run.usage.cost_usd)),
      h("td", { class: `num ${run.denials ? "flag-bad" : "zero"}` }, String(run.denials)),
      h("td", { class: `num ${run.approvals ? "flag-ok" : "zero"}` }, String(run.approvals)),
      h("td", {}, reviewBadge(run)));
  }

  let asked = 0; // answers to older requests, overtaken by a newer one, are dropped

  async function load() {
    clearTimeout(timer);
    const mine = ++asked;
    const query = new URLSearchParams({ limit: "500" });
    for (const [key, value] of Object.entries(state)) if (value) query.set(key, value);
    let data;
    try {
      data = await api(`/api/runs?${query}`);
      if (mine !== asked) return;
    } catch (error) {
      if (mine !== asked) return;
      fill(body, h("tr", {}, h("td", { colspan: 10, class: "empty" }, `Could not load the runs: ${error.message}`)));
      timer = setTimeout(load, 5000);
      return;
    }
    const tasks = new Set([...data.tasks, state.task].filter(Boolean));
    fill(taskSelect, h("option", { value: "" }, "every task"), [...tasks].sort().map((t) => h("option", { value: t }, t)));
    taskSelect.value = state.task;
    count.textContent = data.total > data.runs.length ? `${data.runs.length} of ${data.total} runs` : `${data.total} run${data.total === 1 ? "" : "s"}`;
    lastRuns = data.runs;
    show(data.runs);
    const live = data.runs.some((r) => r.status === "running");
    timer = setTimeout(load, live ? 2000 : 8000);
  }

  function show(runs) {
    renderHeader();
    const filtered = [state.q, state.status, state.task, state.review].some(Boolean);
    fill(body, ...(runs.length ? ordered(runs).map(row)
      : [h("tr", {}, h("td", { colspan: 10, class: "empty" }, filtered ? "No run matches these filters." : "No runs yet. Start one with: interns run TASK.yaml"))]));
  }

  renderHeader();
  load();
})();
