// views/phase.js — the "Phase" view: one POST /api/phase for an optimizer of the shared store over a
// grid of two of its numeric hyperparameters (η on a log axis × μ by default, η × β₁ for Adam), from
// the scene's start. Three heatmaps side by side: final loss (log colour, diverged cells in a neutral
// shade), the measured contraction rate and — for a quadratic with GD/momentum/Nesterov — the predicted
// spectral radius, all with the theoretical stability boundary and the optimum (η*, μ*) overlaid.
// Clicking a cell (or Enter on the keyboard cursor) gives that optimizer those two values in the store.

import { download, roundSig } from "../dom.js";
import { CONFIG, INK, plotly } from "../plots/common.js";
import {
  $, Requests, apiLimits, clickedCell, colorbar, csv, decadeTicks, displayNames, fStar, fmt, gridKeys, h,
  panelLayout, sceneText, setStatus, setting, specOf, surfaceRef, symbol,
} from "./analysis-common.js";

// Ranges a new axis starts with (then clamped to the hyperparameter's own range); lr and eps are log axes.
const RANGE = { lr: [1e-4, 1], momentum: [0, 0.99], beta1: [0, 0.99], beta2: [0.9, 0.9999], alpha: [0.5, 0.9999],
  rho: [0.5, 0.99], eps: [1e-10, 1e-2], weight_decay: [0, 1], dampening: [0, 1], lr_decay: [0, 1],
  initial_accumulator_value: [0, 1], damping: [0, 10] };
const LOG = new Set(["lr", "eps"]);
const Y_FIRST = ["momentum", "beta1", "alpha", "rho", "beta2", "weight_decay"];
const DIVERGED = "#b9b4aa";
const LOSS_FLOOR = 1e-16;
const RATE_MAX = 1.5; // rates above are drawn as 1.5 (the colour bar says "≥ 1.5")
// rate colours: dark blue (fast) → pale near ρ = 1 → orange/brown above 1 (diverging); colourblind-safe
const RATE_SCALE = [[0, "#0b2f5b"], [0.6 / RATE_MAX, "#2f6db0"], [0.9 / RATE_MAX, "#93c0e0"], [0.99 / RATE_MAX, "#e8f1f8"],
  [1 / RATE_MAX, "#fbf3e4"], [1.1 / RATE_MAX, "#f3b26b"], [1.3 / RATE_MAX, "#d4661c"], [1, "#7a3206"]];

/** The numeric hyperparameters an axis may sweep: floats, and a pair as stem1 / stem2 (betas → beta1, beta2). */
export function axisParams(info) {
  const out = {};
  for (const p of info.params) {
    if (p.type === "pair") {
      const stem = p.name.endsWith("s") ? p.name.slice(0, -1) : p.name;
      [0, 1].forEach((k) => { out[`${stem}${k + 1}`] = { ...p, name: `${stem}${k + 1}`, pair: p.name, k, default: p.default[k] }; });
    } else if (p.type === "float") {
      out[p.name] = p;
    }
  }
  return out;
}

function defaultRange(p) {
  const [lo, hi] = RANGE[p.name] || [p.min ?? 0, p.max ?? 1];
  return [Math.max(lo, p.min ?? lo), Math.min(hi, p.max ?? hi)];
}

/** The value an optimizer spec uses for an axis (its own, else the catalogue default). */
function valueOf(opt, p) {
  if (p.pair) return (opt[p.pair] ?? p.default ?? [])[p.k] ?? p.default;
  return opt[p.name] ?? p.default;
}

/** Everything the view needs from the state: optimizer, axes, ranges, grid, the request body (or a problem). */
export function resolve(s, catalog, limits) {
  const autoIdx = Math.max(0, s.opt.findIndex((o) => ["momentum", "nesterov"].includes(o.name)));
  const idx = s.popt !== null && s.popt !== undefined && s.popt < s.opt.length ? s.popt : autoIdx;
  const opt = s.opt[idx];
  const info = catalog.optimizers.find((o) => o.name === opt.name);
  const params = axisParams(info);
  const names = Object.keys(params);
  const px = names.includes(s.px) ? s.px : names.includes("lr") ? "lr" : names[0];
  const py = names.includes(s.py) && s.py !== px ? s.py : Y_FIRST.find((n) => n !== px && names.includes(n)) || names.find((n) => n !== px);
  const P = [params[px], params[py]];
  // a stored range belongs to the stored axis (or to the default one when none is stored)
  const own = (r, stored, axis) => Array.isArray(r) && r.length === 2 && (stored === null || stored === undefined || stored === axis);
  const ranges = [[s.pxr, s.px, px], [s.pyr, s.py, py]].map(([r, stored, axis], k) => (own(r, stored, axis) ? r : defaultRange(P[k])));
  const logs = [LOG.has(px), LOG.has(py)];
  const n = setting(s, "pn");
  const steps = Math.min(setting(s, "psteps"), Math.max(1, Math.floor(limits.work / (n * n))), limits.steps);
  let problem = null;
  ranges.forEach(([lo, hi], k) => {
    const axis = k ? "y" : "x";
    if (!(lo < hi)) problem = `${axis} range: “from” must be below “to”.`;
    else if (logs[k] && !(lo > 0)) problem = `${axis} range: a log axis needs “from” > 0.`;
  });
  // the swept values are overridden by the axes: leave them out so a click on a cell does not re-request
  const spec = specOf(opt);
  for (const p of P) {
    if (p.pair) spec[p.pair] = [...(spec[p.pair] ?? info.params.find((q) => q.name === p.pair).default)];
  }
  for (const p of P) { if (p.pair) spec[p.pair][p.k] = p.default; else delete spec[p.name]; }
  if (P.every((p) => p.pair)) delete spec[P[0].pair];
  const body = { surface: surfaceRef(s), start: s.start, optimizer: spec, steps,
    axes: { [px]: { min: ranges[0][0], max: ranges[0][1], n, log: logs[0] }, [py]: { min: ranges[1][0], max: ranges[1][1], n, log: logs[1] } },
    schedule: s.schedule };
  return { idx, opt, info, params, names, px, py, P, ranges, logs, n, steps, capped: steps < setting(s, "psteps"), problem, body };
}

export function mount(section, ctx) { return new PhaseView(section, ctx); }

class PhaseView {
  constructor(root, ctx) {
    Object.assign(this, { root, ctx, store: ctx.store });
    this.limits = apiLimits(ctx.limits);
    this.req = new Requests("phase", ctx, () => this.schedule());
    const $r = (id) => $(`#${id}`, root);
    this.el = { sub: $r("phase-sub"), opt: $r("phase-opt"), x: $r("phase-x"), y: $r("phase-y"), xlo: $r("phase-xlo"),
      xhi: $r("phase-xhi"), ylo: $r("phase-ylo"), yhi: $r("phase-yhi"), n: $r("phase-n"), steps: $r("phase-steps"),
      status: $r("phase-status"), legend: $r("phase-legend"), theory: $r("phase-theory"), predPanel: $r("phase-pred-panel"),
      panels: $r("phase-panels"),
      lossUnit: $r("phase-loss-unit") };
    this.plots = ["loss", "rate", "pred"].map((kind) => ({ kind, gd: $r(`phase-${kind}`) }));
    this.wire();
    this.store.subscribe((s) => { if (s.view === "phase") this.schedule(); });
  }

  show() { this.schedule(); }

  wire() {
    const e = this.el; const up = (fn) => this.store.update(fn);
    e.opt.addEventListener("change", () => up((d) => { d.popt = Number(e.opt.value); d.px = d.py = d.pxr = d.pyr = null; }));
    e.x.addEventListener("change", () => up((d) => { d.px = e.x.value; d.pxr = null; if (d.py === e.x.value) { d.py = null; d.pyr = null; } }));
    e.y.addEventListener("change", () => up((d) => { d.py = e.y.value; d.pyr = null; }));
    const range = (key, k, input) => input.addEventListener("change", () => {
      const v = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(v)) return;
      const cur = this.view.ranges[key === "pxr" ? 0 : 1];
      up((d) => { d[key] = k ? [cur[0], v] : [v, cur[1]]; });
    });
    range("pxr", 0, e.xlo); range("pxr", 1, e.xhi); range("pyr", 0, e.ylo); range("pyr", 1, e.yhi);
    const int = (input, key, lo, hi) => input.addEventListener("change", () => {
      const v = Math.round(Number(input.value));
      if (input.value.trim() !== "" && Number.isFinite(v)) up((d) => { d[key] = Math.max(lo, Math.min(hi(), v)); });
    });
    int(e.n, "pn", 2, () => this.limits.phaseN);
    int(e.steps, "psteps", 1, () => this.limits.steps);
    this.root.querySelector("[data-goto=paths]")?.addEventListener("click", (ev) => { ev.preventDefault(); up((d) => { d.view = "paths"; }); });
    for (const p of this.plots) {
      gridKeys(p.gd, {
        size: () => (this.result ? [this.result.x.length, this.result.y.length] : null),
        onMove: (i, j) => this.moveCursor(i, j), onPick: (i, j) => this.pick(i, j),
      });
    }
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = null;
      const s = this.store.get();
      if (s.view !== "phase") return;
      try { this.render(s); } catch (err) { this.ctx.ui.error(err); }
      this.req.rendered();
    });
  }

  render(s) {
    const v = resolve(s, this.ctx.catalog, this.limits);
    this.view = v;
    const names = displayNames(s.opt);
    this.req.labels = { phase: `${names[v.idx]} phase diagram` };
    this.controls(s, v, names);
    const result = v.problem ? null : this.req.want("phase", "/api/phase", v.body);
    const live = this.req.isLive("phase");
    for (const o of this.root.querySelectorAll(".an-overlay")) o.hidden = !live;
    // the last diagram stays drawn (under the "computing…" veil) until the new one arrives
    if (result) { this.result = result; this.shown = v; }
    if (this.result) this.draw(s, this.shown, this.result);
    this.status(v, result, live);
  }

  controls(s, v, names) {
    const e = this.el;
    const optSig = s.opt.map((o, i) => `${i}:${names[i]}`).join("|");
    if (optSig !== this.optSig) {
      this.optSig = optSig;
      e.opt.replaceChildren(...s.opt.map((o, i) => h("option", { value: String(i) }, names[i])));
    }
    e.opt.value = String(v.idx);
    const axSig = `${v.opt.name}|${v.px}|${v.py}`;
    if (axSig !== this.axSig) {
      this.axSig = axSig;
      const opts = (skip) => v.names.filter((n) => n !== skip).map((n) => h("option", { value: n }, `${symbol(n)}${symbol(n) !== n ? ` (${n})` : ""}`));
      e.x.replaceChildren(...opts(null));
      e.y.replaceChildren(...opts(v.px));
    }
    e.x.value = v.px; e.y.value = v.py;
    const set = (input, val) => { if (document.activeElement !== input) input.value = String(roundSig(val, 6)); };
    set(e.xlo, v.ranges[0][0]); set(e.xhi, v.ranges[0][1]); set(e.ylo, v.ranges[1][0]); set(e.yhi, v.ranges[1][1]);
    set(e.n, v.n); set(e.steps, v.steps);
    e.n.max = this.limits.phaseN;
    const info = this.ctx.catalog.surfaces.find((x) => x.name === s.surface);
    const extra = sceneText(s, { noise: false });
    e.sub.textContent = `${names[v.idx]} on ${info?.title || s.surface} · from (${fmt(s.start[0], 4)}, ${fmt(s.start[1], 4)}) · ` +
      `${v.n} × ${v.n} runs of ${v.steps} steps${extra ? ` · ${extra}` : ""}`;
    e.lossUnit.textContent = fStar(this.ctx.catalog, s) === null ? "f, log colour" : "f − f*, log colour";
  }

  /** Per-result arrays in plot units, cached on the response (same arrays → cheap Plotly.react). */
  prepared(r, v, fstar) {
    if (r._prep) return r._prep;
    const X = (val, k) => (v.logs[k] ? Math.log10(val) : val);
    const xs = r.x.map((a) => X(a, 0)); const ys = r.y.map((a) => X(a, 1));
    const sx = symbol(v.px); const sy = symbol(v.py);
    const at = r.y.map((yv) => r.x.map((xv) => `${sx} = ${fmt(xv, 3)}, ${sy} = ${fmt(yv, 3)}`));
    const loss = r.final_loss.map((row) => row.map((f) => (f === null ? null : Math.log10(Math.max(fstar === null ? Math.abs(f) : f - fstar, LOSS_FLOOR)))));
    const div = r.diverged.map((row) => row.map((d) => (d ? 1 : null)));
    const clampRate = (row) => row.map((q) => (q === null ? null : Math.min(q, RATE_MAX)));
    const pred = r.theory ? r.theory.predicted_rate.map(clampRate) : null;
    const text = {
      loss: r.final_loss.map((row, i) => row.map((f, j) => `${at[i][j]}<br>${r.diverged[i][j] ? "diverged" : `final f${fstar === null ? "" : " − f*"} = ${fmt(fstar === null ? f : f - fstar, 3)}`}`)),
      rate: r.measured_rate.map((row, i) => row.map((q, j) => `${at[i][j]}<br>measured rate ${fmt(q, 4)}${r.steps_to_converge[i][j] === null ? "" : ` · converged in ${r.steps_to_converge[i][j]} steps`}`)),
      pred: pred ? r.theory.predicted_rate.map((row, i) => row.map((q, j) => `${at[i][j]}<br>predicted ρ = ${fmt(q, 4)} · measured ${fmt(r.measured_rate[i][j], 4)}`)) : null,
    };
    r._prep = { xs, ys, X, loss, div, rate: r.measured_rate.map(clampRate), pred, text };
    return r._prep;
  }

  draw(s, v, r) {
    const fstar = fStar(this.ctx.catalog, s);
    const P = this.prepared(r, v, fstar);
    const th = r.theory;
    // no theory (not a constant Hessian, another optimizer, a schedule): two panels, and the theory line says why
    this.el.predPanel.hidden = !th;
    this.el.panels.dataset.count = th ? "3" : "2";
    const overlays = this.overlays(s, v, r, P);
    const finite = P.loss.flat().filter((z) => z !== null);
    const lo = finite.length ? Math.min(...finite) : -16; const hi = finite.length ? Math.max(...finite) : 0;
    const figs = {
      loss: [{ type: "heatmap", uid: "cells", x: P.xs, y: P.ys, z: P.loss, text: P.text.loss, zmin: lo, zmax: Math.max(hi, lo + 1),
        colorscale: "Viridis", zsmooth: false, hovertemplate: "%{text}<extra></extra>",
        colorbar: colorbar(fstar === null ? "f" : "f − f*", decadeTicks(lo, Math.max(hi, lo + 1))) },
      { type: "heatmap", uid: "diverged", x: P.xs, y: P.ys, z: P.div, zmin: 0, zmax: 1, showscale: false, zsmooth: false,
        colorscale: [[0, DIVERGED], [1, DIVERGED]], text: P.text.loss, hovertemplate: "%{text}<extra></extra>" }],
      rate: [this.rateTrace(P.xs, P.ys, P.rate, P.text.rate)],
      pred: P.pred ? [this.rateTrace(P.xs, P.ys, P.pred, P.text.pred)] : [],
    };
    const key = `${JSON.stringify(v.body)}|${s.opt[v.idx] && JSON.stringify(s.opt[v.idx])}`;
    const revision = `${v.px}|${v.py}|${v.ranges}`;
    for (const p of this.plots) {
      if (p.kind === "pred" && !P.pred) { plotly().purge(p.gd); p.drawn = null; continue; }
      if (p.drawn === key) continue;
      p.drawn = key;
      const layout = this.layout(v, r, P, revision);
      plotly().react(p.gd, [...figs[p.kind], ...overlays], layout, { ...CONFIG, displayModeBar: false });
      if (!p.wired) {
        p.wired = true;
        p.gd.on("plotly_click", (ev) => { const c = clickedCell(ev, "cells", this.result?._prep?.xs, this.result?._prep?.ys); if (c) this.pick(c[0], c[1]); });
      }
    }
    this.legend(v, r);
    this.theoryLine(v, r);
  }

  rateTrace(x, y, z, text) {
    return { type: "heatmap", uid: "cells", x, y, z, text, zmin: 0, zmax: RATE_MAX, colorscale: RATE_SCALE, zsmooth: false,
      hovertemplate: "%{text}<extra></extra>",
      colorbar: colorbar("rate", { tickmode: "array", tickvals: [0, 0.5, 0.9, 1, RATE_MAX], ticktext: ["0", "0.5", "0.9", "1", "≥ 1.5"] }) };
  }

  /** Boundary curves, the optimum, the optimizer's current setting and the keyboard cursor (same on every panel). */
  overlays(s, v, r, P) {
    const out = [];
    for (const c of r.theory?.boundary || []) {
      const x = c.x.map((a) => (a === null ? null : P.X(a, 0))); const y = c.y.map((a) => (a === null ? null : P.X(a, 1)));
      const dashed = c.kind === "optimal_lr";
      out.push({ type: "scatter", mode: "lines", uid: `halo-${c.kind}`, x, y, hoverinfo: "skip", line: { color: "rgba(255,255,255,0.85)", width: 4.5 } });
      out.push({ type: "scatter", mode: "lines", uid: `boundary-${c.kind}`, name: c.formula, x, y, hovertemplate: `${c.formula}<extra></extra>`,
        line: { color: INK, width: 2, dash: dashed ? "dash" : "solid" } });
    }
    const o = r.theory?.optimum;
    if (o?.inside) {
      out.push({ type: "scatter", mode: "markers", uid: "optimum", x: [P.X(o.x, 0)], y: [P.X(o.y, 1)],
        hovertemplate: `optimum: η* = ${fmt(o.lr, 4)}, μ* = ${fmt(o.momentum, 4)}<br>ρ* = ${fmt(o.rate, 4)}<extra></extra>`,
        marker: { symbol: "star", size: 17, color: "#FFD23F", line: { color: INK, width: 1.3 } } });
    }
    const cur = [valueOf(s.opt[v.idx], v.P[0]), valueOf(s.opt[v.idx], v.P[1])];
    const inside = cur.every((c, k) => c >= v.ranges[k][0] && c <= v.ranges[k][1] && (!v.logs[k] || c > 0));
    out.push({ type: "scatter", mode: "markers", uid: "current", x: inside ? [P.X(cur[0], 0)] : [], y: inside ? [P.X(cur[1], 1)] : [],
      hovertemplate: `current setting<br>${symbol(v.px)} = ${fmt(cur[0], 4)}, ${symbol(v.py)} = ${fmt(cur[1], 4)}<extra></extra>`,
      marker: { size: 11, color: "#ffffff", line: { color: INK, width: 2.2 } } });
    out.push({ type: "scatter", mode: "markers", uid: "cursor", x: [], y: [], hoverinfo: "skip",
      marker: { symbol: "square-open", size: 13, color: INK, line: { width: 2.2, color: INK } } });
    return out;
  }

  layout(v, r, P, revision) {
    const L = panelLayout({ revision, margin: { l: 46, r: 6, t: 6, b: 38 } });
    const half = (a) => (a.length > 1 ? (a[a.length - 1] - a[0]) / (a.length - 1) / 2 : 0.5);
    const axis = (k, vals) => ({
      range: [vals[0] - half(vals), vals[vals.length - 1] + half(vals)],
      title: { ...L.xaxis.title, text: `${symbol(k ? v.py : v.px)}${v.logs[k] ? " (log)" : ""}` },
      ...(v.logs[k] ? decadeTicks(vals[0], vals[vals.length - 1]) : { nticks: 6 }),
    });
    L.xaxis = { ...L.xaxis, ...axis(0, P.xs) };
    L.yaxis = { ...L.yaxis, ...axis(1, P.ys) };
    return L;
  }

  legend(v, r) {
    const key = (sym, text) => h("li", { class: "an-key" }, sym, text);
    const items = [key(h("span", { class: "an-key-sw", style: `background:${DIVERGED}`, "aria-hidden": "true" }), "diverged")];
    for (const c of r.theory?.boundary || []) {
      items.push(key(h("span", { class: `an-key-line${c.kind === "optimal_lr" ? " dashed" : ""}`, "aria-hidden": "true" }),
        `${c.kind === "stability" ? "stability boundary" : "best fixed step"} ${c.formula}`));
    }
    const o = r.theory?.optimum;
    if (o) items.push(key(h("span", { class: "an-key-sym", "aria-hidden": "true" }, "★"), `optimum η* = ${fmt(o.lr, 3)}, μ* = ${fmt(o.momentum, 3)} (ρ* = ${fmt(o.rate, 3)})${o.inside ? "" : " — outside the plotted range"}`));
    items.push(key(h("span", { class: "an-key-start", "aria-hidden": "true" }), `current ${symbol(v.px)}, ${symbol(v.py)}`));
    this.el.legend.replaceChildren(...items);
  }

  theoryLine(v, r) {
    const th = r.theory;
    if (!th) {
      this.el.theory.textContent = "No predicted spectral radius here: it needs a constant Hessian (the quadratic, least squares), " +
        "GD, momentum or Nesterov, and a constant schedule.";
      return;
    }
    let agree = 0; let total = 0; let near = 0;
    th.predicted_rate.forEach((row, i) => row.forEach((p, j) => {
      const m = r.measured_rate[i][j];
      if (p === null || m === null) return;
      total += 1;
      if ((p < 1) === (m < 1)) agree += 1; else if (Math.abs(p - 1) < 0.02) near += 1;
    }));
    const rest = total - agree;
    this.el.theory.innerHTML = `λ<sub>min</sub> = ${fmt(th.lambda_min, 4)}, λ<sub>max</sub> = ${fmt(th.lambda_max, 4)}, κ = ${fmt(th.kappa, 4)}. ` +
      `Measured rate &lt; 1 exactly where predicted ρ &lt; 1 on <b data-testid="phase-agree">${agree} of ${total}</b> cells` +
      (rest ? `; ${near === rest ? `the other ${rest} sit at the boundary (|ρ − 1| &lt; 0.02), where ${r.steps} steps cannot tell` : `${rest} differ`}.` : ".");
  }

  cellText(i, j) {
    const r = this.result; const v = this.shown;
    const f = r.final_loss[i][j];
    const pred = r.theory ? ` · predicted ρ ${fmt(r.theory.predicted_rate[i][j], 4)}` : "";
    return `${symbol(v.px)} = ${fmt(r.x[j], 4)}, ${symbol(v.py)} = ${fmt(r.y[i], 4)}: ${r.diverged[i][j] ? "diverged" : `final f = ${fmt(f, 3)}`}` +
      ` · measured rate ${fmt(r.measured_rate[i][j], 4)}${pred}. Enter uses these values.`;
  }

  moveCursor(i, j) {
    const r = this.result;
    if (!r) return;
    const P = r._prep;
    for (const p of this.plots) {
      const k = (p.gd.data || []).findIndex((t) => t.uid === "cursor");
      if (k >= 0) plotly().restyle(p.gd, { x: [i === null ? [] : [P.xs[j]]], y: [i === null ? [] : [P.ys[i]]] }, [k]);
    }
    if (i !== null) setStatus(this.el.status, { text: this.cellText(i, j) });
  }

  pick(i, j) {
    const r = this.result; const v = this.shown;
    if (!r || !v) return;
    const vals = [roundSig(r.x[j], 4), roundSig(r.y[i], 4)];
    const idx = v.idx;
    this.store.update((d) => {
      const o = d.opt[idx];
      v.P.forEach((p, k) => {
        if (p.pair) { o[p.pair] = [...(o[p.pair] ?? v.info.params.find((q) => q.name === p.pair).default)]; o[p.pair][p.k] = vals[k]; } else o[p.name] = vals[k];
      });
    });
    const names = displayNames(this.store.get().opt);
    this.ctx.ui.toast(`${names[idx]}: ${symbol(v.px)} = ${fmt(vals[0], 4)}, ${symbol(v.py)} = ${fmt(vals[1], 4)} — Paths runs it.`);
  }

  status(v, r, live) {
    const el = this.el.status;
    if (v.problem) return setStatus(el, { error: true, text: v.problem });
    const cap = v.capped ? ` Steps capped at ${v.steps}: n² × steps stays within the server's ${fmt(this.limits.work)} start-steps.` : "";
    if (live) return setStatus(el, { busy: true, text: `Computing ${v.n * v.n} runs × ${v.steps} steps in one batch…` });
    if (this.req.hasFailed("phase", v.body)) return setStatus(el, { error: true, text: "The server refused this diagram (see the message above)." });
    if (!r) return setStatus(el, { text: "" });
    const div = r.diverged.flat().filter(Boolean).length;
    const conv = r.steps_to_converge.flat().filter((t) => t !== null).length;
    setStatus(el, { text: `${r.x.length * r.y.length} runs · ${conv} converged (|∇f| < 10⁻⁶) · ${div} diverged.${cap}` });
  }

  exportAs(kind) {
    const r = this.result;
    if (!r) return this.ctx.ui.toast("Nothing to export yet.");
    if (kind === "png") return plotly().downloadImage(this.plots[0].gd, { format: "png", filename: "losslab-phase", scale: 2 });
    const { _prep, ...clean } = r;
    if (kind === "json") return download("losslab-phase.json", JSON.stringify(clean, null, 1));
    const rows = [];
    r.y.forEach((y, i) => r.x.forEach((x, j) => rows.push([x, y, r.final_loss[i][j], r.diverged[i][j], r.steps_to_converge[i][j],
      r.measured_rate[i][j], r.theory ? r.theory.predicted_rate[i][j] : null])));
    const [a, b] = r.axes.map((ax) => ax.name);
    return download("losslab-phase.csv", csv([a, b, "final_loss", "diverged", "steps_to_converge", "measured_rate", "predicted_rate"], rows), "text/csv");
  }
}
