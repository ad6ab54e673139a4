// views/analysis-common.js — what the Basins, Phase and Tune views share: their defaults (the URL
// keys of state.js's analysis block are null until changed), request bodies built from the shared
// store, a request runner with cancellation + caching + the hooks protocol of main.js, the status
// line, a keyboard cursor for heatmaps, axis/number helpers and downloads.

import { isAbort, postJSON } from "../api.js";
import { $, fmt, h } from "../dom.js";
import { colorOf, displayNames } from "../controls/optimizers.js";
import { surfaceRef } from "../controls/formula.js";
import { FONT, FONT_FAMILY, MUTED } from "../plots/common.js";
import { lossOffset } from "../plots/series.js";

/** What a null URL key means (state.js keeps them null so links stay short until a setting changes). */
export const DEFAULTS = {
  bn: 101, bsteps: 300, btol: 1e-3, pn: 41, psteps: 200, tmethod: "grid", tbudget: 16, tlr: [1e-4, 1],
};
export const setting = (s, key) => s[key] ?? DEFAULTS[key];

/** The analysis views' bounds, from the server's limits (GET /api/limits; the page config carries the
 * same numbers): declared once in app/settings.py, never repeated here. */
export function apiLimits(limits) {
  return {
    steps: limits.max_steps, optimizers: limits.max_optimizers,
    basinN: limits.max_basin_n, phaseN: limits.max_phase_n, work: limits.max_batch_work,
  };
}

export const MAX_BASIN_PANELS = 4;
export { surfaceRef };
/** An optimizer spec as the API takes it (page-only keys such as the colour index dropped). */
export const specOf = ({ c, ...spec }) => spec;
export { colorOf, displayNames };

const SYM = { lr: "η", momentum: "μ", beta1: "β₁", beta2: "β₂", alpha: "α", rho: "ρ", eps: "ε",
  weight_decay: "wd", dampening: "τ", lr_decay: "lr decay", initial_accumulator_value: "r₀", damping: "damping" };
export const symbol = (name) => SYM[name] || name;

/** "η = 0.03 · μ = 0.9": the hyperparameters the spec sets (defaults omitted). */
export function hparamText(spec) {
  const parts = [];
  for (const [k, v] of Object.entries(spec)) {
    if (["name", "label", "c"].includes(k) || v === undefined || v === null) continue;
    if (Array.isArray(v)) v.forEach((b, i) => parts.push(`${k === "betas" ? symbol(`beta${i + 1}`) : `${k}[${i}]`} = ${fmt(b, 4)}`));
    else if (typeof v === "number") parts.push(`${symbol(k)} = ${fmt(v, 3)}`);
    else if (typeof v === "boolean" && v) parts.push(k);
  }
  return parts.join(" · ") || "defaults";
}

/** "schedule step(γ = 0.5) · noise σ = 0.1": what of the Paths view's scene a view also uses. */
export function sceneText(s, { noise = true } = {}) {
  const parts = [];
  if (s.schedule?.name && s.schedule.name !== "constant") parts.push(`schedule ${s.schedule.name}`);
  if (noise && s.sigma > 0) parts.push(`noise σ = ${fmt(s.sigma)}, seed ${s.seed}`);
  return parts.join(" · ");
}

/** f* of the surface (the lowest listed minimum) from the catalogue, or null. */
export const fStar = (catalog, s) => lossOffset(catalog.surfaces.find((x) => x.name === s.surface));

// ---- requests ---------------------------------------------------------------------------------

/**
 * Runs a view's requests: one live request per slot (a newer body aborts the older), results cached by
 * body, hooks kept current (busy / version / markReady, plus hooks.analysis[view] for tests), errors in
 * the shared banner (kind "api", cleared by the next success).
 */
export class Requests {
  constructor(view, ctx, onChange) {
    Object.assign(this, { view, ctx, onChange });
    this.cache = new Map();
    this.live = new Map(); // slot → {key, ac}
    this.failed = new Map(); // slot → key of a body the server refused (not retried until it changes)
    this.hook = { busy: false, version: 0, bodies: {}, results: {}, errors: 0 };
    ctx.hooks.analysis = ctx.hooks.analysis || {};
    ctx.hooks.analysis[view] = this.hook;
  }

  get pending() { return this.live.size; }

  /** The cached result for this body, or start fetching it (once). Returns the result or null. */
  want(slot, url, body) {
    const key = JSON.stringify(body);
    this.hook.bodies[slot] = body;
    if (this.cache.has(key)) { this.hook.results[slot] = this.cache.get(key); return this.cache.get(key); }
    if (this.live.get(slot)?.key === key || this.failed.get(slot) === key) return null; // no retry loop
    this.live.get(slot)?.ac.abort();
    const ac = new AbortController();
    this.live.set(slot, { key, ac });
    this.sync();
    postJSON(url, body, { signal: ac.signal }).then((res) => {
      this.cache.set(key, res);
      if (this.cache.size > 16) this.cache.delete(this.cache.keys().next().value);
      this.ctx.ui.clearError("api");
    }, (err) => {
      if (isAbort(err)) return;
      this.hook.errors += 1;
      this.failed.set(slot, key);
      this.ctx.ui.error(err.name === "ApiError" ? `${this.label(slot)}: ${err.message}` : err, err.name === "ApiError" ? "api" : "app");
    }).finally(() => {
      if (this.live.get(slot)?.ac === ac) this.live.delete(slot);
      this.sync();
      if (!ac.signal.aborted) this.onChange();
    });
    return null;
  }

  label(slot) { return this.labels?.[slot] || this.view; }

  isLive(slot) { return this.live.has(slot); }

  hasFailed(slot, body) { return this.failed.get(slot) === JSON.stringify(body); }

  /** Abort what no longer matches the wanted slots. */
  keepOnly(slots) {
    for (const [slot, { ac }] of this.live) if (!slots.includes(slot)) { ac.abort(); this.live.delete(slot); }
    for (const k of Object.keys(this.hook.bodies)) if (!slots.includes(k)) { delete this.hook.bodies[k]; delete this.hook.results[k]; }
    this.sync();
  }

  sync() {
    const busy = this.live.size > 0;
    this.hook.busy = busy;
    // the page-wide flag belongs to the view on screen (a hidden view's late answer must not clear it)
    if (this.ctx.store.get().view === this.view) this.ctx.hooks.busy = busy;
  }

  /** After a render: bump the version (tests wait on it) and mark the page ready once idle. */
  rendered() {
    this.hook.version += 1;
    if (!this.live.size) {
      this.ctx.hooks.version += 1;
      this.ctx.hooks.markReady();
    }
  }
}

// ---- status line ---------------------------------------------------------------------------------

/** The view's status line: a spinner and "Computing 2 / 4 …" while busy, a summary when done. */
export function setStatus(el, { busy = false, text = "", done = null, total = null, error = false } = {}) {
  el.dataset.busy = String(busy);
  el.classList.toggle("is-error", error);
  const bar = total ? h("span", { class: "an-progress", "aria-hidden": "true" },
    h("span", { class: "an-progress-fill", style: `width:${Math.round((100 * (done ?? 0)) / total)}%` })) : null;
  el.replaceChildren(h("span", { class: "an-spinner", "aria-hidden": "true" }), h("span", { class: "an-status-text" }, text), bar || "");
}

// ---- heatmap keyboard cursor -----------------------------------------------------------------------

/**
 * Arrow keys move a highlighted cell over a focused heatmap (Shift: 5 cells, Home/End: row ends),
 * Enter/Space picks it. opts = {size() → [nx, ny] or null, onMove(i, j), onPick(i, j)}; i = row (y).
 */
export function gridKeys(el, opts) {
  const cur = { i: null, j: null };
  el.addEventListener("keydown", (ev) => {
    const size = opts.size();
    if (!size) return;
    const [nx, ny] = size;
    if (cur.i === null || cur.i >= ny || cur.j >= nx) { cur.i = Math.floor(ny / 2); cur.j = Math.floor(nx / 2); }
    const k = ev.shiftKey ? 5 : 1;
    const moves = { ArrowLeft: [0, -k], ArrowRight: [0, k], ArrowUp: [k, 0], ArrowDown: [-k, 0],
      Home: [0, -nx], End: [0, nx], PageUp: [ny, 0], PageDown: [-ny, 0] };
    if (moves[ev.key]) {
      ev.preventDefault();
      cur.i = Math.max(0, Math.min(ny - 1, cur.i + moves[ev.key][0]));
      cur.j = Math.max(0, Math.min(nx - 1, cur.j + moves[ev.key][1]));
      opts.onMove(cur.i, cur.j);
    } else if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      opts.onPick(cur.i, cur.j);
    }
  });
  el.addEventListener("focus", () => {
    const size = opts.size();
    if (size && cur.i !== null) opts.onMove(cur.i, cur.j);
  });
  el.addEventListener("blur", () => opts.onMove(null, null));
  return cur;
}

/** The cell [i, j] a Plotly click landed on: the heatmap point with this uid, else (a click on a marker
 * drawn over it) the cell nearest the clicked point, in plot coordinates xs / ys. */
export function clickedCell(ev, uid, xs, ys) {
  const points = ev?.points || [];
  const p = points.find((q) => q.data?.uid === uid);
  if (p && Array.isArray(p.pointIndex)) return [p.pointIndex[0], p.pointIndex[1]];
  const q = points.find((t) => Number.isFinite(t.x) && Number.isFinite(t.y));
  if (!q || !xs?.length || !ys?.length) return null;
  const nearest = (arr, v) => arr.reduce((best, a, k) => (Math.abs(a - v) < Math.abs(arr[best] - v) ? k : best), 0);
  return [nearest(ys, q.y), nearest(xs, q.x)];
}

// ---- axes and colour bars -----------------------------------------------------------------------------

const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
const sup = (n) => String(n).split("").map((c) => SUP[c] ?? c).join("");
/** 10^k as "10⁻³" (1, 10 and 0.1 spelled out). */
export const decade = (k) => (k === 0 ? "1" : k === 1 ? "10" : k === -1 ? "0.1" : `10${sup(k)}`);

/** Tick values/labels at integer decades between lo and hi (log10 units), at most ~7 of them. */
export function decadeTicks(lo, hi) {
  const k0 = Math.ceil(lo - 1e-9); const k1 = Math.floor(hi + 1e-9);
  const stride = Math.max(1, Math.ceil((k1 - k0 + 1) / 7));
  const tickvals = [];
  for (let k = k0; k <= k1; k += stride) tickvals.push(k);
  if (tickvals.length < 2) return { tickmode: "auto" };
  return { tickmode: "array", tickvals, ticktext: tickvals.map(decade) };
}

/** Layout for a square-ish analysis panel (heatmaps): quiet frame, our fonts. */
export function panelLayout({ revision = "0", margin = { l: 44, r: 8, t: 6, b: 34 } } = {}) {
  const axis = {
    zeroline: false, showgrid: false, ticks: "outside", ticklen: 3, tickcolor: "#c9ced8", showline: true,
    linecolor: "#c9ced8", mirror: true, automargin: false, title: { font: { size: 11.5, color: MUTED }, standoff: 4 },
    tickfont: { size: 10.5 },
  };
  return {
    font: { ...FONT, size: 11 }, margin, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#faf7f0",
    showlegend: false, hovermode: "closest", dragmode: "zoom", uirevision: revision,
    hoverlabel: { font: { family: FONT_FAMILY, size: 11.5 }, bgcolor: "#fff" },
    xaxis: { ...axis }, yaxis: { ...axis },
  };
}

export const colorbar = (title, extra = {}) => ({
  thickness: 8, len: 0.9, outlinewidth: 0, xpad: 4, tickfont: { size: 10, color: MUTED },
  title: { text: title, side: "right", font: { size: 11, color: MUTED } }, ...extra,
});

// ---- files -------------------------------------------------------------------------------------------

/** Rows → CSV text (numbers as is, null as empty). */
export const csv = (header, rows) => [header.join(","), ...rows.map((r) => r.map((v) => (v === null || v === undefined ? "" : v)).join(","))].join("\n");

/** Wire a segmented radio group (same markup as the Paths view's) to a value + setter, arrows included. */
export function segmented(el, get, set) {
  const buttons = [...el.querySelectorAll("button")];
  buttons.forEach((b) => b.addEventListener("click", () => set(b.dataset.value)));
  el.addEventListener("keydown", (ev) => {
    const d = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[ev.key];
    if (!d) return;
    ev.preventDefault();
    const i = buttons.findIndex((b) => b.dataset.value === get());
    const next = buttons[(i + d + buttons.length) % buttons.length];
    set(next.dataset.value);
    next.focus();
  });
  return () => buttons.forEach((b) => {
    const on = b.dataset.value === get();
    b.setAttribute("aria-checked", String(on));
    b.tabIndex = on ? 0 : -1;
  });
}

/** A number input that writes the store on change (Enter / blur), ignoring blanks and non-numbers. */
export function numberInput(el, onValue) {
  el.addEventListener("change", () => {
    const v = Number(el.value);
    if (el.value.trim() !== "" && Number.isFinite(v)) onValue(v);
  });
  return (v) => { if (document.activeElement !== el) el.value = v === null || v === undefined ? "" : String(v); };
}

export { $, h, fmt };
