// One run: what happened (plan, steps, timeline), what was blocked, what changed (diffs) and what it cost.
// The page gets a summary and pages of events; it never asks for the whole journal. A live run is polled.
"use strict";

(() => {
  const { h, fill, api, post, tokens, cost, duration, between, when, badge, reviewBadge, plural, label } = Interns;
  const RUN_LEVEL = "_run";
  const ALL_STEPS = "_all"; // every event of the run, in order
  const PAGE = 150;
  const runId = decodeURIComponent(location.pathname.split("/")[2] || "");
  const base = `/api/runs/${encodeURIComponent(runId)}`;
  const params = new URLSearchParams(location.search);
  const app = document.getElementById("app");

  const state = { summary: null, step: params.get("step"), tab: params.get("tab") || "timeline", decide: null, message: null };
  const tl = { key: null, first: 0, lastN: 0, firstN: 0, moreBefore: false, moreAfter: false, loading: false, shown: 0 };

  // The page's parts, made once and filled as the summary changes.
  const head = h("section", { class: "card run-head", id: "run-head" });
  const story = h("section", { class: "card story", id: "story" });
  const figures = h("section", { class: "figures", id: "figures" });
  const attention = h("div", { id: "attention" });
  const plan = h("section", { class: "card", id: "plan" });
  const changed = h("section", { class: "card", id: "changed" });
  const costs = h("section", { class: "card", id: "costs" });
  const tabs = h("nav", { class: "tabs", id: "tabs" });
  const panel = h("section", { id: "panel" });
  const stepbar = h("div", { class: "stepbar", id: "stepbar" });
  const stepHead = h("div", { class: "card step-head", id: "step-head" });
  const quietBox = h("input", { type: "checkbox", id: "show-quiet" });
  const timeline = h("div", { class: "timeline hide-quiet", id: "timeline" });
  const changesView = h("div", { id: "changes" });
  const diffView = h("div", { id: "final-diff" });

  quietBox.addEventListener("change", () => timeline.classList.toggle("hide-quiet", !quietBox.checked));

  function setUrl() {
    const query = new URLSearchParams();
    if (state.step) query.set("step", state.step);
    if (state.tab !== "timeline") query.set("tab", state.tab);
    history.replaceState(null, "", `${location.pathname}${query.toString() ? "?" + query : ""}${location.hash}`);
  }

  // ---- header: what the run was, how it ended, and the decision ----
  function outcomeLine(s) {
    const run = s.run;
    const steps = s.plan.steps;
    const done = steps.filter((st) => st.status === "succeeded").length;
    if (run.status === "succeeded")
      return h("div", { class: "outcome ok", id: "outcome" }, `Succeeded: ${done} of ${plural(steps.length, "step")} done, ${plural(s.diff.file_count, "file")} changed.`);
    if (state.resuming && !s.live && s.can_resume)
      return h("div", { class: "outcome", id: "outcome" }, "Going on: the run's continuation is starting…");
    if (run.status === "awaiting_approval" && s.waiting.length)
      return h("div", { class: "outcome", id: "outcome" }, "Paused: a worker waits for a person to approve a call. Answer ",
        actionsOffered(s) ? "below, or with " : "with ", h("code", {}, `interns approve ${run.run_id}`),
        " (or ", h("code", {}, "--deny \"why\""), "), then go on with ", h("code", {}, `interns resume ${run.run_id}`), ".");
    if (s.can_resume)
      return h("div", { class: "outcome", id: "outcome" }, `${capital(label(run.status))}${run.reason ? ": " + run.reason : ""}. `,
        "It can go on where it stopped: ", actionsOffered(s) ? "press Resume, or run " : "run ", h("code", {}, `interns resume ${run.run_id}`), ".");
    if (s.live) return h("div", { class: "outcome", id: "outcome" }, `Running: ${done} of ${plural(steps.length, "step")} done so far.`);
    const where = run.failed_step ? ` at step ${run.failed_step}` : "";
    return h("div", { class: "outcome bad", id: "outcome" }, `${capital(label(run.status))}${where}${run.reason ? ": " + run.reason : "."}`,
      s.failure ? failureDetail(s.failure) : null);
  }

  /** The check that failed the run: what it is, links to it and its command, its findings and its output's telling lines. */
  function failureDetail(f) {
    return h("div", { class: "failure", id: "failure" },
      h("div", {}, "The check that failed", f.step ? ` in ${f.step}` : "", ": ", Events.checkWhat(f), " ",
        eventLink(f.n, `the check #${f.n}`), f.command_n ? [" · ", eventLink(f.command_n, `its command #${f.command_n}`)] : null),
      Events.findingsList(f.findings, f.more_findings),
      f.excerpt ? h("pre", { class: "out light excerpt" }, f.excerpt) : null);
  }

  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

  function renderHead(s) {
    const run = s.run;
    document.title = `${run.task} · ${label(run.status)} · interns`;
    document.getElementById("crumb-run").textContent = run.run_id;
    const took = run.duration ?? between(run.started, null);
    const meta = [
      ["run", run.run_id], ["model", run.model + (run.scripted ? " (scripted)" : "")],
      ["sandbox", s.started.sandbox || "–"], ["workspace", run.workspace + (s.started.base_branch ? ` @ ${s.started.base_branch}` : "")],
      ["started", when(run.started)], ["took", duration(took) + (s.live ? " so far" : "")],
    ];
    const retriedAs = s.review && /^retried as ([A-Za-z0-9][\w.-]*)/.exec(String(s.review.detail || ""))?.[1];
    const decision = s.review
      ? h("div", { class: "message ok", id: "decision" }, `${capital(label(s.review.decision))} ${when(s.review.at)}${s.review.note ? ` — “${s.review.note}”` : ""}${s.review.detail ? `\n${s.review.detail}` : ""}`,
        retriedAs ? h("div", {}, "retried as ", h("a", { id: "retried-as", href: `/runs/${encodeURIComponent(retriedAs)}` }, retriedAs)) : null)
      : null;
    fill(head, 
      h("div", { class: "title" }, h("h1", {}, run.task), badge(run.status), reviewBadge(s),
        s.started.retry_of ? h("span", { class: "small muted" }, "retry of ", h("a", { href: `/runs/${encodeURIComponent(s.started.retry_of)}` }, s.started.retry_of)) : null),
      actionButtons(s),
      h("div", { class: "goal" }, run.goal),
      h("div", { class: "meta" }, meta.map(([k, v]) => h("span", {}, `${k} `, h("b", {}, v)))),
      outcomeLine(s),
      decision,
      decidePanel(s),
      state.message && !(state.message.ok && s.review) ? h("div", { class: `message ${state.message.ok ? "ok" : "bad"}`, id: "action-message" }, state.message.text) : null);
  }

  const actionsOffered = (s) => Interns.actionsOn && s.actions;
  const DECISIONS = { accept: "can_decide", reject: "can_decide", retry: "can_decide", resume: "can_resume" };

  function actionButtons(s) {
    if (!actionsOffered(s) || !(s.can_decide || s.can_resume)) return h("div", { class: "actions" });
    const open = (which) => () => { state.decide = state.decide === which ? null : which; state.message = null; renderHead(state.summary); };
    return h("div", { class: "actions", id: "actions" },
      s.can_resume ? h("button", { class: "btn primary", id: "resume", type: "button", disabled: !!state.resuming,
        title: "go on where the run stopped, as interns resume does", onclick: open("resume") }, "Resume…") : null,
      s.can_decide ? [
        h("button", { class: "btn primary", id: "accept", type: "button", disabled: !s.can_accept,
          title: s.can_accept ? "land the run's work" : "only a run that succeeded can be accepted", onclick: open("accept") }, "Accept"),
        h("button", { class: "btn danger", id: "reject", type: "button", onclick: open("reject") }, "Reject…"),
        h("button", { class: "btn", id: "retry", type: "button", onclick: open("retry") }, "Retry with a note…")] : null);
  }

  function decidePanel(s) {
    if (!state.decide || !s[DECISIONS[state.decide]]) return null;
    const where = s.started.base_branch ? `merges the run's branch into ${s.started.base_branch} in ${s.run.workspace}` : `applies the run's diff to ${s.run.workspace}`;
    const note = h("textarea", { id: "note", placeholder: state.decide === "reject" ? "Why? The note is kept with the run." : "What should the next attempt do differently? Its workers see this note." });
    const bare = state.decide === "accept" || state.decide === "resume";
    const go = h("button", { class: `btn ${bare ? "primary" : ""}`, id: "confirm", type: "button" },
      { accept: "Yes, accept and land it", reject: "Reject the run", retry: "Retry with this note", resume: "Yes, go on" }[state.decide]);
    go.addEventListener("click", async () => {
      go.disabled = true;
      try {
        const result = await post(`${base}/${state.decide}`, { note: note.value });
        state.message = { ok: true, text: result.message };
        if (state.decide === "resume") state.resuming = Date.now();
        state.decide = null;
      } catch (error) {
        state.message = { ok: false, text: error.message };
        go.disabled = false;
      }
      await refresh();
    });
    return h("div", { class: "decide", id: "decide" },
      state.decide === "accept" ? h("div", {}, `Accepting ${where}.`)
        : state.decide === "resume" ? h("div", {}, "Going on starts the run's continuation in the background on this machine, as ",
          h("code", {}, `interns resume ${s.run.run_id}`), " would: finished steps are kept, a paused step goes on with the answers given.")
        : note,
      h("div", { class: "actions" }, go, h("button", { class: "btn", type: "button", onclick: () => { state.decide = null; renderHead(state.summary); } }, "Cancel")));
  }

  // ---- what happened, first: one line per step ----
  function storyLine(st) {
    const parts = [];
    if (st.attempts) parts.push(h("span", {}, plural(st.attempts, "attempt")));
    const why = st.sent_back.map((reason, i) => h("li", {}, `attempt ${i + 1} sent back: `, h("span", { class: "said" }, reason)));
    if (st.tally.denials) parts.push(h("span", { class: "flag-bad" }, `${plural(st.tally.denials, "refusal")}`));
    if (st.last_check) parts.push(h("span", {}, "last check ", badge(st.last_check.passed ? "passed" : "failed", st.last_check.passed ? "passed" : "failed"), " ", Events.checkWhat(st.last_check)));
    if (st.status === "awaiting_approval") parts.push(h("span", { class: "flag-warn" }, "waits for a person"));
    const reason = st.reason && st.status !== "succeeded" ? h("div", { class: "small said" }, st.reason.split("\n")[0].slice(0, 300)) : null;
    return h("li", { dataset: { step: st.id, status: st.status } },
      h("button", { class: "btn link story-step", type: "button", onclick: () => selectStep(st.id, true) }, h("span", { class: `dot s-${st.status}` }), st.id),
      badge(st.status), h("span", { class: "story-parts" }, parts.flatMap((p, i) => (i ? [" · ", p] : [p]))), reason,
      why.length ? h("ul", { class: "sent-back" }, why) : null);
  }

  function renderStory(s) {
    const steps = s.plan.steps;
    fill(story, h("h2", {}, "What happened"),
      steps.length ? h("ol", { class: "story-steps" }, steps.map(storyLine)) : h("p", { class: "muted" }, "No step has started."));
  }

  // ---- figures: cost, tokens, steps, blocked, checks, changes ----
  function figure(labelText, value, sub, cls, href) {
    const body = [h("div", { class: "label" }, labelText), h("div", { class: "value" }, value), sub ? h("div", { class: "sub" }, sub) : null];
    return h("div", { class: `figure ${cls || ""}` }, href ? h("a", { href }, body) : body);
  }

  const fmt = (n) => Interns.numberFormat.format(n);

  function renderFigures(s) {
    const t = s.totals, u = t.usage, steps = s.plan.steps;
    const done = steps.filter((st) => st.status === "succeeded").length;
    const failedSteps = steps.filter((st) => ["failed", "unfinished", "limit_exceeded"].includes(st.status)).length;
    fill(figures, 
      figure("Cost", cost(u.cost_usd), u.cost_usd === null ? (s.run.scripted ? "scripted model: free" : "price unknown") : `${plural(u.requests, "model call")}`),
      figure("Tokens", tokens(u.total_tokens), `${tokens(u.input_tokens)} in · ${tokens(u.output_tokens)} out${u.cache_read_tokens ? ` · ${tokens(u.cache_read_tokens)} cached` : ""}`),
      figure("Steps", `${done}/${steps.length}`, failedSteps ? `${failedSteps} failed` : t.retries ? `${plural(t.retries, "retry", "retries")}` : "no retries", failedSteps ? "bad" : ""),
      figure("Blocked", fmt(t.denials), t.denials ? "calls refused by the policy" : "nothing was refused", t.denials ? "bad" : "", t.denials ? "#blocked" : null),
      figure("Approved", fmt(t.approvals), s.waiting.length ? `${s.waiting.length} waiting for a person` : "by a person", s.waiting.length ? "warn" : ""),
      figure("Checks", `${fmt(t.checks_passed)}/${fmt(t.checks_passed + t.checks_failed)}`, t.checks_failed ? `${t.checks_failed} failed on the way` : "passed", ""),
      figure("Commands", fmt(t.commands), t.failed_commands ? `${t.failed_commands} exited non-zero` : "all exited 0"),
      figure("Changed", plural(s.diff.file_count, "file"), s.diff.file_count ? `+${s.diff.added} −${s.diff.removed} lines` : "no final diff", "", "?tab=diff"));
  }

  function eventLink(n, text) {
    return h("a", { href: `#event-${n}`, class: "small" }, text || `#${n}`);
  }

  const SHOWN_PROBLEMS = 6;
  let showAllBlocked = false;

  function problem(d, note) {
    const steps = d.steps.length ? `[${d.steps.length > 3 ? d.steps.slice(0, 3).join(", ") + ", …" : d.steps.join(", ")}] ` : "[run] ";
    return h("li", {},
      d.count > 1 ? h("span", { class: "times" }, `×${Interns.numberFormat.format(d.count)}`) : null,
      h("span", { class: "muted" }, steps), h("b", {}, `${d.tool} `), h("span", { class: "blocked-what" }, d.target),
      ` — ${d.reason} `, h("span", { class: "small muted" }, `(${d.rule}${note ? "; " + note : ""}) `),
      eventLink(d.n, d.count > 1 ? `first #${d.n}` : `#${d.n}`), d.count > 1 ? Find.refusalGroup(base, d, goToEvent) : null);
  }

  // ---- answering a paused run: approve, or deny with a reason, each request or all at once ----
  const answering = { call: undefined, error: null };

  async function answer(kind, call, reason) {
    try {
      const result = await post(`${base}/${kind}`, { call, note: reason });
      state.message = { ok: true, text: result.message };
      Object.assign(answering, { call: undefined, error: null });
    } catch (error) {
      answering.error = error.message;
    }
    await refresh();
  }

  function denyForm(call) {
    const reason = h("textarea", { class: "deny-reason", placeholder: "Why not? The worker is told this reason." });
    const go = h("button", { class: "btn danger confirm-deny", type: "button" }, call ? "Deny this call" : "Deny every call");
    go.addEventListener("click", () => { go.disabled = true; answer("deny", call, reason.value); });
    return h("div", { class: "decide deny-form" }, reason,
      h("div", { class: "actions" }, go, h("button", { class: "btn", type: "button", onclick: () => { answering.call = undefined; renderAttention(state.summary); } }, "Cancel")),
      answering.error ? h("div", { class: "message bad", id: "answer-error" }, answering.error) : null);
  }

  function answerButtons(call) {
    const key = call || "";
    return h("span", { class: "actions answer" },
      h("button", { class: "btn primary approve", type: "button", dataset: { call: key }, onclick: (e) => { e.target.disabled = true; answer("approve", call, ""); } }, call ? "Approve" : "Approve all"),
      h("button", { class: "btn danger deny", type: "button", dataset: { call: key }, onclick: () => { answering.call = key; answering.error = null; renderAttention(state.summary); } }, call ? "Deny…" : "Deny all…"));
  }

  function waitingCard(s) {
    const can = actionsOffered(s) && s.can_answer;
    const several = s.waiting.length > 1;
    return h("section", { class: "card attention warn", id: "waiting" },
      h("div", { class: "row" }, h("h2", {}, `Waiting for a person: ${plural(s.waiting.length, "call")}`), can && several ? answerButtons(null) : null),
      can && several && answering.call === "" ? denyForm(null) : null,
      h("ul", {}, s.waiting.map((w) => h("li", { dataset: { call: w.call_id } },
        `[${w.step || "run"}] `, h("b", {}, `${w.tool} `), h("span", { class: "blocked-what" }, w.target), ` — ${w.reason || ""} `,
        h("span", { class: "small muted" }, `(${w.rule}) `), eventLink(w.n),
        can ? answerButtons(w.call_id) : null,
        can && answering.call === w.call_id ? denyForm(w.call_id) : null))),
      can || !s.can_answer ? null : h("p", { class: "small muted" }, "Answer with ", h("code", {}, `interns approve ${s.run.run_id}`), " (this viewer was started without actions)."));
  }

  function renderAttention(s) {
    const parts = [];
    if (s.waiting.length) parts.push(waitingCard(s));
    if (!s.denied.length)
      parts.push(h("section", { class: "card", id: "blocked" }, h("h2", {}, "What was blocked"),
        h("p", { class: "muted" }, s.totals.commands + (s.kinds.tool_call || 0) ? "Nothing: every call and command passed the policy." : "Nothing yet.")));
    else {
      const shown = showAllBlocked ? s.denied : s.denied.slice(0, SHOWN_PROBLEMS);
      const toggle = s.denied.length > SHOWN_PROBLEMS
        ? h("button", { class: "btn link small", type: "button", id: "all-blocked", onclick: () => { showAllBlocked = !showAllBlocked; renderAttention(state.summary); } },
          showAllBlocked ? "show fewer" : `show all ${s.denied.length} kinds`)
        : null;
      parts.push(h("section", { class: "card attention", id: "blocked" },
        h("h2", {}, `What was blocked: ${plural(s.totals.denials, "call")}${s.denied.length > 1 ? `, ${s.denied.length} kinds` : ""}`),
        h("ul", {}, shown.map((d) => problem(d, d.asked ? "a person said no" : ""))), toggle));
    }
    if (s.approved.length)
      parts.push(h("section", { class: "card attention ok", id: "approved" }, h("h2", {}, `Approved by a person: ${plural(s.totals.approvals, "call")}`),
        h("ul", {}, s.approved.slice(0, SHOWN_PROBLEMS).map((d) => problem(d, "")))));
    fill(attention, ...parts);
  }

  // ---- plan: the steps as a graph, and a table of their outcomes ----
  function depths(steps) {
    const byId = new Map(steps.map((st) => [st.id, st]));
    const memo = new Map();
    const depth = (id, seen = new Set()) => {
      if (memo.has(id)) return memo.get(id);
      if (seen.has(id)) return 0;
      seen.add(id);
      const needs = (byId.get(id)?.needs || []).filter((n) => byId.has(n));
      const d = needs.length ? 1 + Math.max(...needs.map((n) => depth(n, seen))) : 0;
      memo.set(id, d);
      return d;
    };
    steps.forEach((st) => depth(st.id));
    return memo;
  }

  function graph(steps) {
    const W = 224, H = 48, GX = 56, GY = 14, PAD = 6;
    const depth = depths(steps);
    const columns = [];
    for (const st of steps) (columns[depth.get(st.id)] ||= []).push(st);
    const pos = new Map();
    columns.forEach((col, c) => col.forEach((st, r) => pos.set(st.id, { x: PAD + c * (W + GX), y: PAD + r * (H + GY) })));
    const width = PAD * 2 + columns.length * W + (columns.length - 1) * GX;
    const height = PAD * 2 + Math.max(...columns.map((c) => c.length)) * (H + GY) - GY;
    const edges = [];
    for (const st of steps)
      for (const need of st.needs || []) {
        const a = pos.get(need), b = pos.get(st.id);
        if (!a || !b) continue;
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        edges.push(h("path", { class: "edge", d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 4},${y2}` }));
      }
    const nodes = steps.map((st) => {
      const p = pos.get(st.id);
      const mark = { succeeded: "✓", failed: "✗", unfinished: "✗", running: "…", skipped: "–" }[st.status] || "•";
      const name = st.id.length > 28 ? st.id.slice(0, 27) + "…" : st.id;
      let sub = `${mark} ${st.status === "succeeded" ? "done" : label(st.status)}${st.attempts > 1 ? ` · ${st.attempts} tries` : ""}${st.tally.denials ? ` · ${st.tally.denials} blocked` : ""}`;
      if (sub.length > 34) sub = sub.slice(0, 33) + "…";
      return h("g", { class: `node s-${st.status}${state.step === st.id ? " selected" : ""}`, dataset: { step: st.id }, transform: `translate(${p.x},${p.y})`, onclick: () => selectStep(st.id, true) },
        h("title", {}, `${st.id}: ${st.instructions}`),
        h("rect", { width: W, height: H, rx: 8 }),
        h("text", { x: 12, y: 20 }, name),
        h("text", { x: 12, y: 37, class: "sub" }, sub));
    });
    return h("div", { class: "graph" }, h("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "the plan's steps" }, edges, nodes));
  }

  function renderPlan(s) {
    const steps = s.plan.steps;
    if (!steps.length) {
      fill(plan, h("h2", {}, "Plan"), h("p", { class: "muted" }, "No plan was recorded: the run ended before its steps were known."));
      return;
    }
    const rows = steps.map((st) => {
      const took = st.started ? between(st.started, st.finished || (s.live ? null : st.started)) : null;
      return h("tr", { class: state.step === st.id ? "selected" : "", dataset: { step: st.id }, onclick: () => selectStep(st.id, true) },
        h("td", { class: "nowrap" }, h("span", { class: `dot s-${st.status}` }), h("b", {}, st.id), st.needs.length ? h("div", { class: "small muted" }, `after ${st.needs.join(", ")}`) : null),
        h("td", {}, badge(st.status)),
        h("td", { class: "num" }, String(st.attempts || "–")),
        h("td", { class: "num" }, st.finished || s.live ? duration(took) : "–"),
        h("td", { class: "num" }, tokens(st.tally.usage.total_tokens)),
        h("td", { class: "num" }, cost(st.tally.usage.cost_usd)),
        h("td", { class: `num ${st.tally.denials ? "flag-bad" : "zero"}` }, String(st.tally.denials)),
        h("td", { class: "num" }, st.tally.checks_passed + st.tally.checks_failed ? `${st.tally.checks_passed}/${st.tally.checks_passed + st.tally.checks_failed}` : "–"),
        h("td", {}, h("div", { class: "step-summary" }, (st.reason || st.summary || "").split("\n")[0].slice(0, 400))));
    });
    fill(plan, 
      h("h2", {}, s.plan.source === "supervisor" ? "Plan (written by the supervisor)" : "Plan"),
      graph(steps),
      h("table", { class: "steps", id: "steps" },
        h("thead", {}, h("tr", {}, ["Step", "Status", "Attempts", "Took", "Tokens", "Cost", "Blocked", "Checks", "Outcome"].map((c, i) => h("th", { class: i >= 2 && i <= 7 ? "num" : "" }, c)))),
        h("tbody", {}, rows)));
  }

  /** Which steps' workers wrote the file with their tools ("by a command" when none did). */
  function changedBy(path) {
    const steps = state.summary?.diff.changed_by?.[path] || [];
    return h("span", { class: "small muted changed-by" }, steps.length ? `by ${steps.join(", ")}` : "by a command");
  }

  function renderChanged(s) {
    const d = s.diff;
    fill(changed, h("h2", {}, "What changed"),
      d.file_count
        ? h("ul", { class: "files" }, d.files.map((f, i) => h("li", {}, h("a", { class: "path", href: `?tab=diff#file-${i}` }, f.path), changedBy(f.path), h("span", { class: "plus" }, `+${f.added}`), h("span", { class: "minus" }, `−${f.removed}`))))
        : h("p", { class: "muted" }, s.live || s.can_answer || s.can_resume ? "The final diff is written when the run ends." : "The run left no changes."),
      d.file_count > d.files.length ? h("p", { class: "small muted" }, `and ${d.file_count - d.files.length} more files`) : null);
  }

  // ---- where the time and money went, and this run against another ----
  const other = { id: params.get("compare"), summary: null, asked: false };

  async function renderCosts(s) {
    other.id ||= s.started.retry_of;
    if (other.id && !other.asked) {
      other.asked = true;
      other.summary = await api(`/api/runs/${encodeURIComponent(other.id)}`).catch(() => null);
    }
    const labels = other.id === s.started.retry_of ? ["this retry", "the original"] : ["this run", other.id];
    fill(costs, h("h2", {}, "Where the time and money went"), Costs.waterfall(s, (id) => selectStep(id, true)),
      other.summary ? [h("h3", { class: "compare-title" }, other.id === s.started.retry_of ? "Against the run it retried" : `Against ${other.id}`),
        Costs.compare(s, other.summary, labels)] : null);
  }

  // ---- tabs ----
  function renderTabs(s) {
    const tab = (id, text, extra) => h("button", { class: `tab${state.tab === id ? " active" : ""}`, id: `tab-${id}`, type: "button", onclick: () => selectTab(id) }, text, extra || null);
    const stepName = state.step === RUN_LEVEL || state.step === ALL_STEPS ? "the run" : state.step;
    fill(tabs, tab("timeline", "Timeline"), tab("changes", `Edits in ${stepName}`), tab("diff", "Final diff", s.diff.file_count ? h("span", { class: "badge" }, String(s.diff.file_count)) : null));
  }

  function renderStepbar(s) {
    const chip = (key, name, status, count) => h("button", { class: `chip${state.step === key ? " active" : ""}`, type: "button", dataset: { step: key }, onclick: () => selectStep(key, false) },
      h("span", { class: `dot s-${status}` }), name, h("span", { class: "count" }, fmt(count)));
    fill(stepbar, chip(ALL_STEPS, "all steps", s.run.status, s.events), chip(RUN_LEVEL, "run", s.run.status, s.run_events),
      s.plan.steps.map((st) => chip(st.id, st.id, st.status, st.events)));
  }

  /** `[` and `]`: the previous or next step, in the bar's order. */
  function stepBy(delta) {
    const keys = [ALL_STEPS, RUN_LEVEL, ...state.summary.plan.steps.map((st) => st.id)];
    const at = keys.indexOf(state.step);
    if (state.tab === "diff") state.tab = "timeline";
    selectStep(keys[(at + delta + keys.length) % keys.length], false);
  }

  function renderStepHead(s) {
    if (state.step === ALL_STEPS) {
      fill(stepHead, h("div", { class: "row" }, h("h3", {}, "Every event"), h("span", { class: "muted small" }, `all ${fmt(s.events)} of them, in the order they were written`)));
      return;
    }
    if (state.step === RUN_LEVEL) {
      fill(stepHead, h("div", { class: "row" }, h("h3", {}, "The run itself"), h("span", { class: "muted small" }, "its start, plan, merges, notices and end; each step's work is under the step")));
      return;
    }
    const st = s.plan.steps.find((x) => x.id === state.step);
    if (!st) { fill(stepHead, h("p", { class: "muted" }, `No step ${state.step} in this run.`)); return; }
    fill(stepHead, 
      h("div", { class: "row" }, h("h3", {}, `Step ${st.id}`), badge(st.status), h("span", { class: "muted small" }, `${plural(st.attempts, "attempt")} · ${Events.usageText(st.tally.usage)}`)),
      st.instructions ? h("div", { class: "instructions" }, st.instructions) : null,
      h("div", { class: "kv" },
        h("span", {}, "worker ", h("b", {}, `${s.run.model.replace(/^scripted:.*/, "scripted model")} in ${s.started.sandbox || "a sandbox"}`)),
        st.tools.length ? h("span", {}, "tools ", h("b", {}, st.tools.join(", "))) : null,
        st.needs.length ? h("span", {}, "after ", h("b", {}, st.needs.join(", "))) : null,
        st.done_when.length ? h("span", {}, "done when ", h("b", { class: "mono" }, st.done_when.join("  ·  "))) : null),
      st.reason ? h("div", { class: "outcome bad" }, st.reason) : st.summary ? h("div", { class: "outcome ok said" }, st.summary) : null);
  }

  let finder = null;

  function renderPanel() {
    const s = state.summary;
    renderTabs(s);
    renderStepbar(s);
    renderStepHead(s);
    if (state.tab === "diff") fill(panel, diffView);
    else if (state.tab === "changes") fill(panel, stepbar, stepHead, changesView);
    else {
      finder ||= Find.panel(base, s.kinds, goToEvent);
      fill(panel, stepbar, stepHead, h("div", { class: "filters" }, h("label", {}, quietBox, " show allowed calls and tool results")), finder, timeline);
    }
  }

  function selectTab(id) {
    state.tab = id;
    setUrl();
    renderPanel();
    if (id === "diff") loadDiff();
    if (id === "changes") loadChanges();
  }

  function selectStep(key, scroll) {
    if (state.tab === "diff") state.tab = "timeline";
    state.step = key;
    setUrl();
    renderPlan(state.summary);
    renderPanel();
    if (state.tab === "changes") loadChanges();
    else loadTimeline(key, {});
    if (scroll) tabs.scrollIntoView({ block: "start" });
  }

  // ---- the timeline: pages of one step's events ----
  function placeEvents(events, where) {
    const nodes = [];
    for (const ev of events) {
      const node = Events.render(ev);
      if (ev.clipped && ev.clipped.length) {
        const whole = h("button", { class: "btn link small", type: "button" }, "this event was shortened; show all of it");
        whole.addEventListener("click", async () => {
          const full = await api(`${base}/events/${ev.n}`);
          node.replaceWith(Events.render(full));
        });
        (node.querySelector(".body") || node).append(whole);
      }
      nodes.push(node);
    }
    if (where === "start") timeline.prepend(...nodes);
    else timeline.append(...nodes);
  }

  function pagerButton(text, id, onclick) {
    return h("div", { class: "pager", id }, h("button", { class: "btn", type: "button", onclick }, text));
  }

  function updatePagers(stepTotal) {
    timeline.querySelector("#load-earlier")?.remove();
    timeline.querySelector("#load-more")?.remove();
    timeline.querySelector(".live-note")?.remove();
    if (tl.moreBefore) timeline.prepend(pagerButton(`Load earlier events (${tl.first} before)`, "load-earlier", () => loadTimeline(tl.key, { before: tl.firstN })));
    if (tl.moreAfter) {
      const more = pagerButton(`Load more (${plural(stepTotal - tl.first - tl.shown, "more event")})`, "load-more", () => loadTimeline(tl.key, { after: tl.lastN }));
      timeline.append(more);
      observer.observe(more);
    } else if (state.summary?.live) timeline.append(h("div", { class: "live-note" }, "The run is going on; new events appear here as they are written."));
    if (!timeline.querySelector(".ev, .attempt")) timeline.prepend(h("div", { class: "empty" }, "No events yet."));
  }

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting && !tl.loading && tl.moreAfter) loadTimeline(tl.key, { after: tl.lastN });
  }, { rootMargin: "400px" });

  async function loadTimeline(key, { after, before, around }) {
    const fresh = after === undefined && before === undefined;
    if (tl.loading && !fresh) return;
    tl.loading = true;
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (key !== ALL_STEPS) query.set("step", key);
    if (after !== undefined) query.set("after", after);
    if (before !== undefined) query.set("before", before);
    if (around !== undefined) query.set("around", around);
    try {
      const data = await api(`${base}/events?${query}`);
      if (state.step !== key) return; // another step was picked meanwhile
      if (fresh) {
        fill(timeline, );
        Object.assign(tl, { key, first: data.first_index, shown: 0, moreBefore: data.more_before, firstN: data.events[0]?.n || 0 });
      }
      timeline.querySelector(".empty")?.remove();
      if (before !== undefined) {
        placeEvents(withContinuation(data.events), "start");
        Object.assign(tl, { first: data.first_index, moreBefore: data.more_before, firstN: data.events[0]?.n || tl.firstN });
      } else {
        placeEvents(fresh ? withContinuation(data.events) : data.events, "end");
        if (data.events.length) tl.lastN = data.events[data.events.length - 1].n;
        else if (fresh) tl.lastN = data.last_n;
        tl.moreAfter = data.more_after;
      }
      tl.shown += data.events.length;
      updatePagers(data.total);
    } catch (error) {
      fill(timeline, h("div", { class: "empty" }, `Could not load the events: ${error.message}`));
    } finally {
      tl.loading = false;
    }
  }

  /** A page that starts inside an attempt gets that attempt's header first, so every event sits under one. */
  function withContinuation(events) {
    const first = events[0];
    if (first && first.type !== "step_started" && first.attempt_of > 0)
      return [{ type: "step_started", n: first.n, attempt: first.attempt_of, continued: true, ts: first.ts }, ...events].map((ev, i) =>
        i === 0 ? { ...ev, n: `${first.n}-head` } : ev);
    return events;
  }

  // ---- the step's own edits, and the final diff ----
  async function loadChanges() {
    if (state.step === RUN_LEVEL || state.step === ALL_STEPS) {
      fill(changesView, h("p", { class: "muted" }, "Pick a step to see the edits its worker made."));
      return;
    }
    fill(changesView, h("p", { class: "muted" }, "Loading…"));
    try {
      const data = await api(`${base}/steps/${encodeURIComponent(state.step)}/changes`);
      fill(changesView, 
        h("p", { class: "note" }, "Each write and edit the worker made with its file tools, in order. A command's changes show only in the final diff."),
        data.changes.length ? data.changes.map((c, i) => h("div", {}, h("div", { class: "change-head" }, h("b", {}, `${c.tool} ${c.path}`), `attempt ${c.attempt}`, eventLink(c.n)),
          Diffs.render(c.diff, { offset: 1000 + i }))) : h("p", { class: "muted" }, "This step made no edits with its file tools."));
    } catch (error) {
      fill(changesView, h("p", { class: "muted" }, `Could not load the edits: ${error.message}`));
    }
  }

  /** The diff's files as a tree of folders, each file a link to its block below. */
  function fileTree(files) {
    if (files.length < 2) return null;
    const root = { dirs: new Map(), files: [] };
    files.forEach((file, i) => {
      const parts = (file.path || "?").split("/");
      let node = root;
      for (const dir of parts.slice(0, -1)) node = node.dirs.get(dir) || node.dirs.set(dir, { dirs: new Map(), files: [] }).get(dir);
      node.files.push({ name: parts[parts.length - 1], file, i });
    });
    const list = (node) => h("ul", {},
      [...node.dirs].sort(([a], [b]) => a.localeCompare(b)).map(([name, child]) => h("li", { class: "dir" }, h("span", {}, `${name}/`), list(child))),
      node.files.map(({ name, file, i }) => h("li", {}, h("a", { href: `#file-${i}` }, name), " ", h("span", { class: "plus" }, `+${file.added}`), " ", h("span", { class: "minus" }, `−${file.removed}`))));
    return h("nav", { class: "card file-tree", id: "file-tree" }, h("h3", {}, `${files.length} files`), list(root));
  }

  async function loadDiff() {
    fill(diffView, h("p", { class: "muted" }, "Loading the diff…"));
    try {
      const data = await api(`${base}/diff`);
      fill(diffView, 
        data.truncated ? h("p", { class: "note" }, `The diff is ${plural(data.size, "byte")}; its start is shown. The whole of it is in ${data.path}.`) : null,
        data.exists ? fileTree(Diffs.parse(data.text)) : null,
        data.exists ? Diffs.render(data.text, { empty: "The final diff is empty: the run changed nothing.", extra: (file) => changedBy(file.path),
          more: data.expandable ? (path, start, end) => api(`${base}/file?${new URLSearchParams({ path, start, end })}`) : null })
          : h("p", { class: "muted" }, state.summary.live ? "The final diff is written when the run ends." : "This run has no final diff."));
      const target = location.hash.startsWith("#file-") && document.querySelector(location.hash);
      if (target) { target.open = true; target.scrollIntoView(); }
    } catch (error) {
      fill(diffView, h("p", { class: "muted" }, `Could not load the diff: ${error.message}`));
    }
  }

  // ---- links to one event ----
  async function goToEvent(n) {
    const existing = document.getElementById(`event-${n}`);
    if (existing && state.tab === "timeline") { highlight(existing); return; }
    try {
      const ev = await api(`${base}/events/${n}`);
      state.tab = "timeline";
      state.step = ev.step_key;
      setUrl();
      renderPlan(state.summary);
      renderPanel();
      await loadTimeline(ev.step_key, { around: n });
      const target = document.getElementById(`event-${n}`);
      if (target) highlight(target);
    } catch (error) {
      state.message = { ok: false, text: `No event ${n} in this run: ${error.message}` };
      renderHead(state.summary);
    }
  }

  function highlight(node) {
    document.querySelectorAll(".ev.highlight").forEach((el) => el.classList.remove("highlight"));
    node.classList.add("highlight");
    node.scrollIntoView({ block: "center" });
  }

  // ---- the summary, and keeping up with a live run ----
  let pollTimer = null;
  async function refresh() {
    clearTimeout(pollTimer);
    let s;
    try {
      s = await api(base);
    } catch (error) {
      if (!state.summary) fill(app, h("section", { class: "card" }, h("h1", {}, "Could not load the run"), h("p", {}, error.message)));
      pollTimer = setTimeout(refresh, 5000);
      return;
    }
    const before = state.summary;
    state.summary = s;
    renderHead(s);
    renderStory(s);
    renderFigures(s);
    renderAttention(s);
    renderPlan(s);
    renderChanged(s);
    renderCosts(s);
    renderTabs(s);
    renderStepbar(s);
    if (state.tab !== "diff") renderStepHead(s);
    if (before && before.run.status !== s.run.status && state.tab === "diff") loadDiff();
    if (before && !tl.moreAfter && !tl.loading && tl.key === state.step) {
      const count = state.step === ALL_STEPS ? s.events : state.step === RUN_LEVEL ? s.run_events : s.plan.steps.find((x) => x.id === state.step)?.events || 0;
      if (count > tl.first + tl.shown) loadTimeline(state.step, { after: tl.lastN });
      else updatePagers(count);
    }
    if (state.resuming && (s.live || !s.can_resume || Date.now() - state.resuming > 60000)) state.resuming = null; // it went on
    pollTimer = setTimeout(refresh, s.live || state.resuming ? 1000 : 15000);
  }

  function defaultStep(s) {
    const steps = s.plan.steps;
    // The step that matters: the failed one, else one that waits or runs, else one that was sent back.
    const failed = s.run.failed_step || steps.find((st) => ["failed", "unfinished", "awaiting_approval", "running"].includes(st.status))?.id;
    return failed || steps.find((st) => st.attempts > 1)?.id || steps.find((st) => st.events)?.id || RUN_LEVEL;
  }

  async function start() {
    await refresh();
    if (!state.summary) return;
    const s = state.summary;
    if (!state.step || (![RUN_LEVEL, ALL_STEPS].includes(state.step) && !s.plan.steps.some((st) => st.id === state.step))) state.step = defaultStep(s);
    fill(app, head, story, figures, h("div", { class: "two" }, attention, changed), plan, costs, tabs, panel);
    renderPlan(s);
    renderPanel();
    const hash = /^#event-(\d+)$/.exec(location.hash);
    if (hash) await goToEvent(Number(hash[1]));
    else if (state.tab === "diff") loadDiff();
    else if (state.tab === "changes") loadChanges();
    else loadTimeline(state.step, {});
    window.addEventListener("hashchange", () => {
      const m = /^#event-(\d+)$/.exec(location.hash);
      if (m) goToEvent(Number(m[1]));
      const file = location.hash.startsWith("#file-") && document.querySelector(location.hash);
      if (file) { file.open = true; file.scrollIntoView(); }
    });
  }

  Find.keys(stepBy);
  start();
})();
