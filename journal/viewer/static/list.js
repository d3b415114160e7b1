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
  };
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
    h("table", { class: "runs", id: "runs" },
      h("thead", {}, h("tr", {},
        h("th", {}, "Status"), h("th", {}, "Run"), h("th", {}, "Started"), h("th", { class: "num" }, "Took"),
        h("th", {}, "Model"), h("th", { class: "num" }, "Tokens"), h("th", { class: "num" }, "Cost"),
        h("th", { class: "num", title: "tool calls and commands the policy refused" }, "Blocked"),
        h("th", { class: "num", title: "calls a person approved" }, "Approved"), h("th", {}, "Review"))),
      body));

  function update(change) {
    Object.assign(state, change);
    const query = new URLSearchParams(Object.entries(state).filter(([, v]) => v));
    history.replaceState(null, "", query.toString() ? `?${query}` : location.pathname);
    load();
  }

  function row(run) {
    const href = `/runs/${encodeURIComponent(run.run_id)}`;
    const took = run.duration ?? Interns.between(run.started, null);
    const model = run.model.replace(/^scripted:.*/, "scripted");
    return h("tr", { dataset: { run: run.run_id }, onclick: (e) => { if (!e.target.closest("a")) location.href = href; } },
      h("td", {}, badge(run.status), run.waiting ? h("div", { class: "small muted" }, `${run.waiting} waiting`) : null),
      h("td", {},
        h("a", { class: "run-task", href }, run.task),
        h("div", { class: "run-id" }, run.run_id),
        run.reason && run.status !== "succeeded" ? h("div", { class: "run-reason" }, run.reason.split("\n")[0].slice(0, 200)) : null),
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
    fill(body, ...(data.runs.length ? data.runs.map(row)
      : [h("tr", {}, h("td", { colspan: 10, class: "empty" }, Object.values(state).some(Boolean) ? "No run matches these filters." : "No runs yet. Start one with: interns run TASK.yaml"))]));
    const live = data.runs.some((r) => r.status === "running" || r.status === "awaiting_approval");
    timer = setTimeout(load, live ? 2000 : 8000);
  }

  load();
})();
