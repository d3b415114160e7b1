// The eval page: each model's pass rate (with its 95% interval), cost, time, tokens and failure reasons side by
// side, then every row with a link to the run it counts. All of it comes from the runs' own journals.
"use strict";

(() => {
  const { h, fill, api, tokens, cost, duration, badge, plural } = Interns;
  const ref = decodeURIComponent(location.pathname.split("/")[2] || "");
  const percent = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`);

  function figures(report) {
    const models = report.models;
    const line = (label, cell) => h("tr", null, h("th", null, label), models.map((m) => h("td", null, cell(m))));
    return h("table", { class: "runs", id: "figures" },
      h("thead", null, h("tr", null, h("th", null, ""), models.map((m) => h("th", null, m.model)))),
      h("tbody", null,
        line("passed", (m) => `${m.passed} of ${m.finished}`),
        line("pass rate", (m) => percent(m.pass_rate)),
        line("95% interval", (m) => (m.ci_low === null ? "–" : `${percent(m.ci_low)}–${percent(m.ci_high)}`)),
        line("cost", (m) => cost(m.cost_usd)),
        line("median time", (m) => duration(m.median_seconds)),
        line("median tokens", (m) => tokens(m.median_tokens)),
        line("not done", (m) => String(m.rows - m.finished)),
        line("failures", (m) => Object.entries(m.failures).map(([reason, n]) => h("div", null, `${n}× ${reason}`)))));
  }

  function rows(report) {
    return h("table", { class: "runs", id: "rows" },
      h("thead", null, h("tr", null, ["row", "model", "input", "status", "took", "tokens", "cost", "run"]
        .map((c) => h("th", null, c)))),
      h("tbody", null, report.rows.map((r) => h("tr", null,
        h("td", null, String(r.row)),
        h("td", null, r.model || "the task's model"),
        h("td", null, Object.values(r.params)[0] || ""),
        h("td", null, badge(r.status)),
        h("td", null, duration(r.seconds)),
        h("td", null, tokens(r.tokens)),
        h("td", null, cost(r.cost_usd)),
        h("td", null, r.run_id ? h("a", { href: `/runs/${encodeURIComponent(r.run_id)}` }, r.run_id) : "–",
          r.earlier_runs.length ? h("span", { class: "muted" }, ` (+${plural(r.earlier_runs.length, "earlier run")})`) : null),
      ))));
  }

  async function load() {
    const app = document.getElementById("app");
    try {
      const report = await api(`/api/evals/${encodeURIComponent(ref)}`);
      document.title = `${report.kind} ${report.batch_id} · interns`;
      fill(document.getElementById("crumb-eval"), `${report.kind} ${report.batch_id}`);
      fill(app,
        h("section", { class: "card" },
          h("h1", null, `${report.kind === "eval" ? "Eval" : "Batch"} of ${report.task}`),
          h("p", { class: "muted" }, `${plural(report.rows.length, "row")}, on ${report.on}`),
          figures(report)),
        h("section", { class: "card" }, h("h2", null, "Rows"), rows(report)));
    } catch (error) {
      fill(app, h("section", { class: "card" }, h("h1", null, "No such eval"), h("pre", { class: "out" }, error.message)));
    }
  }

  load();
})();
