// Shared helpers of the viewer's pages. Everything from a run (model text, output, paths) is put on the page as
// text nodes, never as HTML: `h` builds elements, and strings become text.
"use strict";

const Interns = (() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || "";
  const actionsOn = meta("interns-actions") === "on";

  function h(tag, attrs, ...children) {
    const svg = ["svg", "g", "rect", "path", "text", "title", "tspan"].includes(tag);
    const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.setAttribute("class", value);
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /** Replace an element's children; arrays are flattened and null, undefined and false left out. */
  function fill(el, ...children) {
    el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    return el;
  }

  async function api(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
    return data;
  }

  // The session cookie (HttpOnly: no script reads it) goes with every request to the viewer; the browser adds
  // the page's Origin to a POST, which the viewer checks too.
  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    if (!response.ok || data.ok === false) throw new Error(data.error || `${response.status} ${response.statusText}`);
    return data;
  }

  const numberFormat = new Intl.NumberFormat("en");

  function tokens(n) {
    if (n === null || n === undefined) return "–";
    if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
    if (n >= 1e5) return `${Math.round(n / 1e3)}k`;
    return numberFormat.format(n);
  }

  function cost(usd) {
    if (usd === null || usd === undefined) return "n/a";
    if (usd === 0) return "$0";
    if (usd < 0.01) return `$${usd.toFixed(4)}`;
    return `$${usd.toFixed(usd < 100 ? 2 : 0)}`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
    if (seconds < 10) return `${seconds.toFixed(1)} s`;
    if (seconds < 60) return `${Math.round(seconds)} s`;
    const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    if (m < 60) return `${m} min ${String(s).padStart(2, "0")} s`;
    return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
  }

  function between(start, end) {
    if (!start) return null;
    const to = end ? Date.parse(end) : Date.now();
    return (to - Date.parse(start)) / 1000;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function when(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    const today = new Date();
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (d.toDateString() === today.toDateString()) return `today ${time}`;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  }
  function clock(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  const label = (status) => String(status || "").replaceAll("_", " ");
  const badge = (status, text) =>
    h("span", { class: `badge s-${String(status).replaceAll(" ", "_")}` }, text || label(status));

  function reviewBadge(run) {
    if (run.review && run.review.decision) return badge(run.review.decision, run.review.decision);
    if (run.awaiting_review) return badge("awaiting_review", "awaiting review");
    return null;
  }

  const plural = (n, one, many) => `${numberFormat.format(n)} ${n === 1 ? one : many || one + "s"}`;

  return { h, fill, api, post, actionsOn, tokens, cost, duration, between, when, clock, label, badge,
    reviewBadge, plural, numberFormat };
})();
