// Finding things in a run: a search by text and kind over every event, stepping through a group of refusals, and
// the keys (j/k between events, / to search, [ and ] between steps). Results are shown as text, linked by number.
"use strict";

const Find = (() => {
  const { h, fill, api, plural } = Interns;

  /** The search box, the kind filter and their results; `goTo(n)` opens event n. */
  function panel(base, kinds, goTo) {
    const box = h("input", { type: "search", id: "run-search", placeholder: "Search this run (press /)", "aria-label": "Search this run" });
    const kind = h("select", { id: "kind-filter", "aria-label": "Kind of event" }, h("option", { value: "" }, "every kind"),
      Object.keys(kinds).sort().map((k) => h("option", { value: k }, `${k.replaceAll("_", " ")} (${kinds[k]})`)));
    const results = h("div", { class: "search-results", id: "search-results" });
    let delay = null, asked = 0;
    async function run() {
      const mine = ++asked;
      if (!box.value.trim() && !kind.value) { fill(results); return; }
      const query = new URLSearchParams({ q: box.value, limit: "200" });
      if (kind.value) query.set("kind", kind.value);
      try {
        const data = await api(`${base}/search?${query}`);
        if (mine !== asked) return;
        fill(results,
          h("div", { class: "small muted", id: "search-count" }, data.total ? `${plural(data.total, "event")}${data.more ? `, the first ${data.found.length} shown` : ""}` : "No event matches."),
          h("ol", { class: "found" }, data.found.map((f) => h("li", {},
            h("a", { href: `#event-${f.n}`, onclick: (e) => { e.preventDefault(); goTo(f.n); } }, `#${f.n}`),
            h("span", { class: "small muted" }, ` ${f.step || "run"} · ${String(f.type || "?").replaceAll("_", " ")} `),
            h("span", { class: "snippet" }, f.snippet)))));
      } catch (error) {
        fill(results, h("div", { class: "small muted" }, `Could not search: ${error.message}`));
      }
    }
    box.addEventListener("input", () => { clearTimeout(delay); delay = setTimeout(run, 200); });
    kind.addEventListener("change", run);
    return h("div", { class: "find", id: "find" }, h("div", { class: "find-bar" }, box, kind), results);
  }

  /** Previous / next buttons through every refusal of one kind (tool, target and rule), not only its first. */
  function refusalGroup(base, d, goTo) {
    let lines = null, at = -1;
    const where = h("span", { class: "small muted group-at" }, "");
    const step = async (by) => {
      if (lines === null) {
        const query = new URLSearchParams({ tool: d.tool, target: d.target, rule: d.rule });
        lines = (await api(`${base}/refusals?${query}`)).lines;
      }
      if (!lines.length) return;
      at = at < 0 ? (by > 0 ? 0 : lines.length - 1) : (at + by + lines.length) % lines.length;
      where.textContent = ` ${at + 1} of ${lines.length} `;
      goTo(lines[at]);
    };
    return h("span", { class: "group-nav" },
      h("button", { class: "btn link small prev", type: "button", title: "the previous refusal of this kind", onclick: () => step(-1) }, "‹ prev"),
      where,
      h("button", { class: "btn link small next", type: "button", title: "the next refusal of this kind", onclick: () => step(1) }, "next ›"));
  }

  /** j / k: the next or previous event shown; /: the search box; [ and ]: the previous or next step. */
  function keys(onStep) {
    document.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.("input, textarea, select")) return;
      if (e.key === "/") { document.getElementById("run-search")?.focus(); e.preventDefault(); return; }
      if (e.key === "[" || e.key === "]") { onStep(e.key === "]" ? 1 : -1); e.preventDefault(); return; }
      if (e.key !== "j" && e.key !== "k") return;
      const shown = [...document.querySelectorAll("#timeline .ev")].filter((el) => el.offsetParent !== null);
      if (!shown.length) return;
      const current = shown.findIndex((el) => el.classList.contains("highlight"));
      const next = current < 0 ? 0 : Math.max(0, Math.min(shown.length - 1, current + (e.key === "j" ? 1 : -1)));
      document.querySelectorAll(".ev.highlight").forEach((el) => el.classList.remove("highlight"));
      shown[next].classList.add("highlight");
      shown[next].scrollIntoView({ block: "nearest" });
      history.replaceState(null, "", `${location.pathname}${location.search}#event-${shown[next].dataset.n}`);
      e.preventDefault();
    });
  }

  return { panel, refusalGroup, keys };
})();
