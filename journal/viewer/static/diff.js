// Unified diffs as tables: one collapsible block per file, line numbers, added/removed colours, light syntax colours.
"use strict";

const Diffs = (() => {
  const { h } = Interns;
  const BIG_FILE = 600; // lines; a file longer than this starts folded
  const STEP = 20; // unchanged lines one click on a hunk's expander shows
  const LINES_AT_ONCE = 2000; // the most the viewer sends in one answer (worked_copy.LINES_LIMIT)
  const KEYWORDS = new Set(("def class return if elif else for while in not and or is None True False import from as " +
    "with try except finally raise lambda yield async await pass break continue global nonlocal assert del " +
    "function const let var new this null undefined true false typeof instanceof export default switch case " +
    "fn pub impl struct enum match use mod mut self static void int char public private protected package func " +
    "go defer interface type range then fi do done esac echo").split(" "));
  const TOKEN = /("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`[^`]*`?)|((?:#|\/\/).*$)|(\b\d[\d_.]*\b)|([A-Za-z_][A-Za-z0-9_]*)/g;

  /** Split a unified diff into files, each with its header lines and its lines. */
  function parse(text) {
    const files = [];
    const lines = text.split("\n");
    const git = lines.some((line) => line.startsWith("diff --git "));
    let file = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const plainStart = !git && line.startsWith("--- ") && (lines[i + 1] || "").startsWith("+++ ") && (!file || file.hunks);
      if (line.startsWith("diff --git ") || plainStart) {
        file = { path: pathOf(line), header: [line], lines: [], added: 0, removed: 0, hunks: false };
        files.push(file);
        continue;
      }
      if (!file) continue; // anything before the first file
      if (!file.hunks && !line.startsWith("@@")) {
        if (line.startsWith("+++ ") && !line.endsWith("/dev/null")) file.path = line.slice(4).replace(/^b\//, "");
        file.header.push(line);
        continue;
      }
      file.hunks = true;
      if (line.startsWith("+")) file.added++;
      else if (line.startsWith("-")) file.removed++;
      file.lines.push(line);
    }
    for (const f of files) while (f.lines.length && f.lines[f.lines.length - 1] === "") f.lines.pop();
    return files;
  }

  function pathOf(line) {
    if (line.startsWith("--- ")) return line.slice(4).replace(/^a\//, "");
    const rest = line.slice("diff --git ".length);
    const cut = rest.lastIndexOf(" b/");
    return cut >= 0 ? rest.slice(cut + 3) : rest;
  }

  /** A line of code as spans: strings, comments, numbers and keywords coloured, everything else plain text. */
  function colour(code) {
    const out = [];
    let last = 0;
    TOKEN.lastIndex = 0;
    for (let m; (m = TOKEN.exec(code)); ) {
      const [all, str, com, num, word] = m;
      if (word && !KEYWORDS.has(word)) continue;
      if (m.index > last) out.push(code.slice(last, m.index));
      const cls = str ? "tok-str" : com ? "tok-com" : num ? "tok-num" : "tok-kw";
      out.push(h("span", { class: cls }, all));
      last = m.index + all.length;
      if (com) break;
    }
    if (last < code.length) out.push(code.slice(last));
    return out;
  }

  function lineRow(cls, oldNo, newNo, sign, code) {
    return h("tr", { class: cls }, h("td", { class: "ln" }, oldNo), h("td", { class: "ln" }, newNo), h("td", { class: "code" }, sign, colour(code)));
  }

  /** A row that shows the file's unchanged lines of one gap, STEP at a time: upward from the hunk below it, or
   *  (the gap after the last hunk, whose end is unknown) downward. `more(path, start, end)` fetches new-side lines. */
  function expander(file, more, gap) {
    const row = h("tr", { class: "expand" });
    const label = () => {
      const n = gap.to - gap.from + 1;
      const step = Number.isFinite(n) ? Math.min(STEP, n) : STEP;
      return [h("button", { type: "button", class: "expand-more", onclick: () => show(false) }, gap.up ? `↑ ${step} more lines` : `↓ ${step} more lines`),
        Number.isFinite(n) && n > STEP ? h("button", { type: "button", class: "expand-all", onclick: () => show(true) }, `all ${n} hidden lines`) : null];
    };
    async function show(all) {
      const start = gap.up ? Math.max(gap.from, gap.to - (all ? LINES_AT_ONCE : STEP) + 1) : gap.from;
      const end = gap.up ? gap.to : gap.from + STEP - 1;
      let data;
      try { data = await more(file.path, start, end); }
      catch (error) { row.firstChild.replaceChildren(`Could not load more lines: ${error.message}`); return; }
      const lines = data.lines.map((code, i) => lineRow("ctx", start + i + gap.delta, start + i, " ", code));
      if (gap.up) { row.after(...lines); gap.to = start - 1; }
      else { row.before(...lines); gap.from = start + lines.length; gap.to = data.total; }
      if (gap.to < gap.from || (!gap.up && lines.length < end - start + 1)) row.remove();
      else row.firstChild.replaceChildren(...label());
    }
    row.append(h("td", { colspan: 3 }, label()));
    return row;
  }

  function rows(file, more) {
    const body = h("tbody");
    const widen = more && !file.header.some((line) => line.endsWith("/dev/null")); // a new or deleted file has no more
    let oldNo = 0, newNo = 0, nextNew = 1;
    for (const line of file.lines) {
      if (line.startsWith("@@")) {
        const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)/.exec(line);
        if (m) {
          oldNo = Number(m[1]); newNo = Number(m[2]);
          if (widen && newNo > nextNew) body.append(expander(file, more, { from: nextNew, to: newNo - 1, delta: oldNo - newNo, up: true }));
        }
        body.append(h("tr", { class: "hunk" }, h("td", { colspan: 3 }, line)));
        continue;
      }
      const sign = line[0];
      if (sign === "\\") { body.append(h("tr", { class: "meta" }, h("td", { class: "ln" }), h("td", { class: "ln" }), h("td", { class: "code" }, line))); continue; }
      const code = line.slice(1);
      if (sign === "+") body.append(lineRow("add", "", newNo++, "+", code));
      else if (sign === "-") body.append(lineRow("del", oldNo++, "", "-", code));
      else body.append(lineRow("ctx", oldNo++, newNo++, " ", code));
      nextNew = newNo;
    }
    if (widen && nextNew > 1) body.append(expander(file, more, { from: nextNew, to: Infinity, delta: oldNo - newNo, up: false }));
    return h("table", { class: "diff" }, h("colgroup", {}, h("col", { class: "c-ln" }), h("col", { class: "c-ln" }), h("col")), body);
  }

  /** One file of a diff as a collapsible block; a long one is drawn only when opened. */
  function fileBlock(file, index, extra, more) {
    const details = h("details", { class: "diff-file", id: `file-${index}`, dataset: { path: file.path } },
      h("summary", {}, h("span", { class: "path" }, file.path || "(no file name)"),
        extra || null,
        h("span", { class: "plus" }, `+${file.added}`), h("span", { class: "minus" }, `−${file.removed}`),
        file.lines.length > BIG_FILE ? h("span", { class: "label" }, `${file.lines.length} lines, click to show`) : null));
    let drawn = false;
    const draw = () => { if (!drawn && details.open) { drawn = true; details.append(rows(file, more)); } };
    details.addEventListener("toggle", draw);
    details.open = file.lines.length <= BIG_FILE;
    draw();
    return details;
  }

  /** A diff's files; `options.more(path, start, end)`, when given, fetches a file's lines to widen its hunks. */
  function render(text, options = {}) {
    const files = parse(text);
    if (!files.length) return h("p", { class: "muted" }, options.empty || "No changes.");
    const id = (i) => (typeof options.offset === "string" ? `${options.offset}-${i}` : (options.offset || 0) + i);
    const extra = (file) => (typeof options.extra === "function" ? options.extra(file) : options.extra);
    return h("div", { class: "diff-files" }, files.map((file, i) => fileBlock(file, id(i), extra(file), options.more)));
  }

  return { parse, render, colour };
})();
