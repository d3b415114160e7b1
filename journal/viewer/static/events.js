// One journal event as a row of the timeline: what the model said, the calls it made, the commands and their output,
// the policy's decisions, checks, reviews. Long output is folded; everything is text, never HTML.
"use strict";

const Events = (() => {
  const { h, tokens, cost, clock, badge, plural } = Interns;
  const FOLD_LINES = 12;
  const OUTPUT_TOOL = "final_result";

  /** Output in a dark block, its first lines only until "show all" is clicked. */
  function output(text, { light = false, stderr = "", tail = false } = {}) {
    const full = (text || "").replace(/\s+$/, "");
    const err = (stderr || "").replace(/\s+$/, "");
    const lines = full ? full.split("\n") : [];
    const errLines = err ? err.split("\n") : [];
    const total = lines.length + errLines.length;
    if (!total) return null;
    const pre = h("pre", { class: `out${light ? " light" : ""}` });
    const fill = (limit) => {
      if (tail && limit < total) { // the end of the output, where a runner reports what failed
        pre.replaceChildren(`… ${plural(total - limit, "line")} before\n`, [...lines, ...errLines].slice(-limit).join("\n"));
        return;
      }
      const shown = lines.slice(0, limit);
      const errShown = errLines.slice(0, Math.max(0, limit - shown.length));
      pre.replaceChildren(shown.join("\n"), shown.length && errShown.length ? "\n" : "",
        errShown.length ? h("span", { class: "err" }, errShown.join("\n")) : "");
    };
    if (total <= FOLD_LINES + 2) { fill(total); return pre; }
    fill(FOLD_LINES);
    pre.classList.add("folded");
    const toggle = h("button", { class: "btn link fold-toggle", type: "button" }, `show all ${plural(total, "line")}`);
    toggle.addEventListener("click", () => {
      const open = pre.classList.toggle("folded");
      fill(open ? FOLD_LINES : total);
      toggle.textContent = open ? `show all ${plural(total, "line")}` : "fold";
    });
    return h("div", { class: "output" }, pre, toggle);
  }

  function json(value) {
    return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
  }

  function callLabel(call) {
    const args = call.args || {};
    const target = ["path", "command", "pattern"].map((k) => args[k]).find((v) => typeof v === "string") || "";
    const short = target.replace(/\s+/g, " ");
    return `${call.tool || "?"} ${short.length > 80 ? short.slice(0, 80) + "…" : short}`.trim();
  }

  function commandText(argv) {
    if (Array.isArray(argv) && argv.length === 3 && argv[0] === "bash" && argv[1] === "-c") return argv[2];
    return (argv || []).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${String(a).replaceAll("'", "'\\''")}'`)).join(" ");
  }

  function usageText(usage) {
    if (!usage) return "";
    const total = (usage.input_tokens || 0) + (usage.output_tokens || 0);
    const parts = [`${tokens(total)} tokens`];
    if (usage.cache_read_tokens) parts.push(`${tokens(usage.cache_read_tokens)} cached`);
    if (usage.cost_usd !== null && usage.cost_usd !== undefined) parts.push(cost(usage.cost_usd));
    return parts.join(" · ");
  }

  /** A check as written: a command (shown as one), or a built-in check's key and what it looks at (no `$`). */
  function checkWhat(check) {
    const builtin = check.kind && check.kind !== "command";
    const text = check.command || check.check || "";
    return builtin
      ? h("span", { class: "check-what" }, text.startsWith(check.kind) ? null : [h("span", { class: "check-kind" }, check.kind), " "], text)
      : h("span", { class: "cmd" }, check.command || check.check || "");
  }

  function findingsList(findings, more) {
    if (!findings || !findings.length) return null;
    return h("ul", { class: "findings" }, findings.map((f) => h("li", {}, String(f))), more ? h("li", { class: "muted" }, `and ${more} more`) : null);
  }

  /** What a check said: a failing one's output open (folded when long), a passing one's behind a click. */
  function checkOutput(ev) {
    const what = ev.kind === "rubric" ? `the rubric's reasoning (verdict: ${ev.passed ? "pass" : "fail"})`
      : ev.kind && ev.kind !== "command" ? "what the check found" : "the output the worker is sent back with";
    if (ev.passed) return h("details", {}, h("summary", {}, what), output(ev.output, { light: true }));
    return h("div", { class: "check-output" }, h("div", { class: "small muted" }, what), output(ev.output, { light: true, tail: true }));
  }

  function row(ev, kind, cls, ...body) {
    return h("div", { class: `ev ${cls}`, id: `event-${ev.n}`, dataset: { n: ev.n } },
      h("a", { class: "n", href: `#event-${ev.n}`, title: "a link to this event" }, `#${ev.n}`),
      h("time", { datetime: ev.ts || "" }, clock(ev.ts)),
      h("span", { class: "kind" }, kind),
      h("div", { class: "body" }, ...body));
  }

  /** The separator that opens an attempt at a step, with the prompt the worker was given. */
  function attemptHeader(ev) {
    return h("div", { class: "attempt", id: `event-${ev.n}`, dataset: { n: ev.n } },
      h("span", {}, ev.continued ? `Attempt ${ev.attempt} (continued)` : ev.resumed ? `Attempt ${ev.attempt}, resumed` : `Attempt ${ev.attempt}`),
      ev.continued ? null : h("a", { class: "n small", href: `#event-${ev.n}` }, `#${ev.n}`),
      h("span", { class: "small muted" }, clock(ev.ts)),
      ev.prompt ? h("details", { class: "small" }, h("summary", {}, ev.attempt > 1 ? "what the worker was told" : "the prompt the worker was given"), output(ev.prompt, { light: true })) : null);
  }

  function render(ev) {
    switch (ev.type) {
      case "step_started":
        return attemptHeader(ev);
      case "model_response": {
        const calls = ev.tool_calls || [];
        const answer = calls.filter((c) => c.tool === OUTPUT_TOOL);
        const acts = calls.filter((c) => c.tool !== OUTPUT_TOOL);
        return row(ev, "model", "k-model",
          h("span", { class: "usage" }, usageText(ev.usage)),
          ev.text ? h("div", { class: "said" }, ev.text) : null,
          acts.length ? h("div", { class: "calls" }, acts.map((c) => h("span", { class: "call" }, callLabel(c)))) : null,
          acts.length ? h("details", {}, h("summary", {}, `arguments of ${plural(acts.length, "call")}`), json(acts.map((c) => ({ tool: c.tool, args: c.args })))) : null,
          answer.length ? h("details", {}, h("summary", {}, "structured answer (a plan or a review)"), json(answer.map((c) => c.args))) : null,
          !ev.text && !calls.length ? h("span", { class: "muted" }, "(said nothing)") : null);
      }
      case "policy_decision": {
        if (ev.verdict === "deny")
          return row(ev, "denied", "k-denied",
            h("div", {}, h("b", {}, `${ev.tool} `), h("span", { class: "blocked-what" }, ev.target), ev.asked ? h("span", { class: "muted" }, " — a person said no") : null),
            h("div", { class: "small" }, ev.reason), h("div", { class: "small muted" }, `rule: ${ev.rule}`));
        if (ev.asked)
          return row(ev, "approved", "k-approved",
            h("div", {}, h("b", {}, `${ev.tool} `), h("span", { class: "blocked-what" }, ev.target), h("span", { class: "muted" }, " — approved by a person")),
            h("div", { class: "small muted" }, `${ev.reason} (rule: ${ev.rule})`));
        return row(ev, "allowed", "quiet k-allowed", `${ev.tool} ${ev.target} — ${ev.rule}`);
      }
      case "approval_requested":
        return row(ev, "asks", "k-notice-warning",
          h("div", {}, "Waiting for a person to allow ", h("b", {}, `${ev.tool} `), h("span", { class: "blocked-what" }, ev.target)),
          h("div", { class: "small muted" }, `${ev.reason} (rule: ${ev.rule}); answer with interns approve`));
      case "approval_answered":
        return row(ev, ev.approved ? "approved" : "denied", ev.approved ? "k-approved" : "k-denied",
          ev.approved ? "A person approved the call" : "A person refused the call", ev.reason ? `: ${ev.reason}` : "");
      case "run_resumed":
        return row(ev, "resumed", "k-run", `Resumed after ${String(ev.after || "").replaceAll("_", " ")}`,
          (ev.done || []).length ? h("div", { class: "small muted" }, `already done: ${ev.done.join(", ")}`) : null,
          (ev.resumed || []).length ? h("div", { class: "small muted" }, `continuing: ${ev.resumed.join(", ")}`) : null);
      case "tool_call": {
        const target = callLabel({ tool: ev.tool, args: ev.args });
        if (ev.ok && ev.diff) // a file the worker wrote or edited: the change itself, numbered as the file is
          return row(ev, ev.tool, "k-edit", h("div", { class: "edit-diff" }, Diffs.render(ev.diff, { offset: `edit-${ev.n}` })),
            !ev.line && ev.tool === "edit" ? h("div", { class: "small muted" }, "numbered from the snippet: this journal does not say where in the file it was") : null);
        // A command's outcome and a refusal have rows of their own; a tool that failed otherwise is worth a look.
        const quiet = ev.ok || ev.tool === "run" || String(ev.result || "").startsWith("Refused by policy");
        return row(ev, ev.ok ? "result" : "tool failed", quiet ? "quiet k-result" : "k-tool-failed",
          h("span", {}, `${target} → ${ev.ok ? "done" : "failed"}`),
          h("details", {}, h("summary", {}, "what the tool returned"), output(ev.result, { light: true }),
            h("details", {}, h("summary", {}, "arguments"), json(ev.args))));
      }
      case "command_run": {
        const ok = ev.exit_code === 0 && !ev.timed_out;
        const kind = ev.by === "check" ? "check run" : ev.by === "setup" ? "setup" : "command";
        return row(ev, kind, "k-command",
          h("div", {}, h("span", { class: "cmd" }, commandText(ev.argv)),
            h("span", { class: `exit ${ok ? "ok" : "bad"}` }, ev.timed_out ? "timed out" : `exit ${ev.exit_code}`),
            h("span", { class: "small muted" }, ` in ${Number(ev.duration || 0).toFixed(2)} s`)),
          output(ev.stdout, { stderr: ev.stderr }),
          ev.truncated ? h("div", { class: "small muted" }, "The output was longer; only its start was kept.") : null);
      }
      case "network_connection":
        return row(ev, ev.allowed ? "network" : "refused", ev.allowed ? "k-command" : "k-denied",
          h("div", {}, h("b", {}, `${ev.method} ${ev.host}:${ev.port}`),
            h("span", { class: "small muted" }, ev.allowed
              ? ` — allowed by '${ev.rule}'${ev.credential ? ", credential added" : ""}; ${ev.sent} B up, ${ev.received} B down`
              : ` — refused: ${ev.reason}`)));
      case "check_result":
        return row(ev, "check", "k-check", h("div", {}, badge(ev.passed ? "passed" : "failed", ev.passed ? "passed" : "FAILED"), " ", checkWhat(ev)),
          ev.passed ? null : findingsList(ev.findings),
          ev.output ? checkOutput(ev) : null);
      case "step_retry":
        return row(ev, "sent back", "k-retry", `Sent back for attempt ${ev.attempt}`,
          h("details", {}, h("summary", {}, "the feedback"), output(ev.feedback, { light: true })));
      case "review_verdict":
        return row(ev, "review", "k-review",
          h("div", {}, "Supervisor's review: ", badge(ev.decision === "accept" ? "accepted" : "revise", ev.decision === "accept" ? "accepted" : "revise")),
          ev.notes ? h("div", { class: "said" }, ev.notes) : null);
      case "step_finished":
        return row(ev, "step", "k-step",
          h("span", { class: "usage" }, usageText(ev.usage)),
          h("div", {}, badge(ev.status), ` after ${plural(ev.attempts, "attempt")}`, ev.reason ? `: ${ev.reason}` : ""),
          ev.summary ? h("div", { class: "said" }, ev.summary) : null);
      case "merge_result":
        return row(ev, "merge", ev.ok ? "k-merge" : "k-notice-warning",
          ev.ok ? `Merged ${ev.branch}` : `Merge conflict in ${ev.branch}: ${(ev.conflicts || []).join(", ")}`);
      case "notice":
        return row(ev, ev.level || "notice", `k-notice-${ev.level}`, h("span", { class: "said" }, ev.message));
      case "run_started":
        return row(ev, "run", "k-run",
          h("div", {}, `Run of ${ev.task} started with ${ev.model}`, ev.sandbox ? ` in the ${ev.sandbox} sandbox` : ""),
          h("div", { class: "small muted" }, `workspace ${ev.workspace}${ev.base_branch ? ` (branch ${ev.base_branch})` : ""}`),
          ev.retry_of ? h("div", { class: "small" }, "a retry of ", h("a", { href: `/runs/${encodeURIComponent(ev.retry_of)}` }, ev.retry_of)) : null);
      case "plan_made":
        return row(ev, "plan", "k-run",
          ev.source === "supervisor" ? "The supervisor wrote a plan:" : "The task file's steps:",
          h("ol", { class: "small" }, (ev.steps || []).map((s) => h("li", {}, h("b", {}, s.id), (s.needs || []).length ? ` after ${s.needs.join(", ")}` : "", ` — ${s.instructions || ""}`))));
      case "run_finished":
        return row(ev, "run", "k-run",
          h("span", { class: "usage" }, usageText(ev.usage)),
          h("div", {}, "Run ", badge(ev.status), ev.failed_step ? ` at step ${ev.failed_step}` : "", ev.reason ? `: ${ev.reason}` : ""));
      default:
        return row(ev, ev.type || "unknown", "k-unknown",
          h("span", { class: "muted" }, ev.error ? `an unreadable line: ${ev.error}` : `an event of a kind this viewer does not know: ${ev.type}`),
          h("details", {}, h("summary", {}, "as written"), json(ev)));
    }
  }

  return { render, output, usageText, callLabel, checkWhat, findingsList };
})();
