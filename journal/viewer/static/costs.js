// Where the time and money went: a waterfall of steps and their model turns, and a run set against another (a retry
// against its original above all).
"use strict";

const Costs = (() => {
  const { h, tokens, cost, duration, between, plural, badge } = Interns;

  const share = (cached, input) => (input ? `${Math.round((100 * cached) / input)}% cached` : "");

  /** One bar per step, placed on the run's clock; each model turn a tick in it, its size and cost in its title. */
  function waterfall(s, onStep) {
    const steps = s.plan.steps.filter((st) => st.started);
    if (!steps.length) return h("p", { class: "muted" }, "No step has started yet.");
    const t0 = Date.parse(s.run.started);
    const ends = steps.map((st) => Date.parse(st.finished || "") || (s.live ? Date.now() : Date.parse(s.run.finished || "") || Date.now()));
    const span = Math.max(1, Math.max(...ends, Date.parse(s.run.finished || "") || 0) - t0);
    const at = (ms) => `${Math.max(0, Math.min(100, (100 * (ms - t0)) / span)).toFixed(2)}%`;
    const rows = steps.map((st, i) => {
      const start = Date.parse(st.started), end = ends[i];
      const u = st.tally.usage;
      const ticks = (st.turns || []).map((t) => h("span", { class: "tick", dataset: { n: t.n, at: t.ts ? ((Date.parse(t.ts) - start) / Math.max(1, end - start)).toFixed(4) : "0" },
        title: `turn #${t.n}: ${tokens(t.in)} in, ${tokens(t.out)} out${t.cached ? `, ${tokens(t.cached)} cached` : ""}, ${cost(t.cost)}` }));
      const bar = h("div", { class: `bar s-${st.status}`, dataset: { left: at(start), width: `${Math.max(0.5, (100 * (end - start)) / span).toFixed(2)}%` } }, ticks);
      return h("div", { class: "wf-row", dataset: { step: st.id } },
        h("button", { class: "btn link wf-step", type: "button", onclick: () => onStep(st.id) }, st.id),
        h("div", { class: "wf-track" }, bar),
        h("div", { class: "wf-figures small" }, `${duration(between(st.started, st.finished || (s.live ? null : s.run.finished)))} · ${tokens(u.total_tokens)} tokens · ${cost(u.cost_usd)}`,
          u.cache_read_tokens ? ` · ${share(u.cache_read_tokens, u.input_tokens)}` : "", ` · ${plural((st.turns || []).length, "turn")}`));
    });
    const body = h("div", { class: "waterfall", id: "waterfall-rows" }, rows);
    // Positions are set as properties, not style attributes: the page's policy allows no inline style.
    queueMicrotask(() => body.querySelectorAll(".bar").forEach((bar) => {
      bar.style.left = bar.dataset.left;
      bar.style.width = bar.dataset.width;
      bar.querySelectorAll(".tick").forEach((tick) => { tick.style.left = `${(100 * Number(tick.dataset.at)).toFixed(2)}%`; });
    }));
    return body;
  }

  const stepsDone = (s) => `${s.plan.steps.filter((st) => st.status === "succeeded").length}/${s.plan.steps.length}`;

  /** This run and another side by side: outcome, time, tokens, cost, refusals, checks, then step by step. */
  function compare(a, b, labels) {
    const ta = a.totals, tb = b.totals;
    const row = (name, x, y) => h("tr", {}, h("th", {}, name), h("td", {}, x), h("td", {}, y));
    const ids = [...new Set([...a.plan.steps.map((st) => st.id), ...b.plan.steps.map((st) => st.id)])];
    const stepOf = (s, id) => s.plan.steps.find((st) => st.id === id);
    const stepText = (st) => (st ? [badge(st.status), ` ${plural(st.attempts, "attempt")} · ${tokens(st.tally.usage.total_tokens)} tokens · ${cost(st.tally.usage.cost_usd)}`] : h("span", { class: "muted" }, "–"));
    return h("table", { class: "compare", id: "compare-table" },
      h("thead", {}, h("tr", {}, h("th", {}), h("th", {}, h("a", { href: `/runs/${encodeURIComponent(a.run.run_id)}` }, labels[0])), h("th", {}, h("a", { href: `/runs/${encodeURIComponent(b.run.run_id)}` }, labels[1])))),
      h("tbody", {},
        row("status", badge(a.run.status), badge(b.run.status)),
        row("steps done", stepsDone(a), stepsDone(b)),
        row("took", duration(a.run.duration), duration(b.run.duration)),
        row("tokens", tokens(ta.usage.total_tokens), tokens(tb.usage.total_tokens)),
        row("cost", cost(ta.usage.cost_usd), cost(tb.usage.cost_usd)),
        row("cache", share(ta.usage.cache_read_tokens, ta.usage.input_tokens) || "–", share(tb.usage.cache_read_tokens, tb.usage.input_tokens) || "–"),
        row("blocked", String(ta.denials), String(tb.denials)),
        row("checks passed", `${ta.checks_passed}/${ta.checks_passed + ta.checks_failed}`, `${tb.checks_passed}/${tb.checks_passed + tb.checks_failed}`),
        row("files changed", String(a.diff.file_count), String(b.diff.file_count)),
        ids.map((id) => h("tr", { class: "compare-step" }, h("th", {}, `step ${id}`), h("td", {}, stepText(stepOf(a, id))), h("td", {}, stepText(stepOf(b, id)))))));
  }

  return { waterfall, compare };
})();
