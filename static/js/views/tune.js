// views/tune.js — the "Tune" view: one POST /api/tune for every optimizer of the shared store (the
// scene's surface, start, steps and schedule), the same budget over the same log-spaced η range (grid or
// successive halving). Loss-vs-η curves of all optimizers on one log–log chart with the tuned η ringed,
// a table of tuned η and final loss, the loss per step of each tuned run, and a button that writes every
// tuned η into the store so the Paths view shows the fair comparison.

import { download, roundSig } from "../dom.js";
import { CONFIG, MUTED, chartLayout, plotly } from "../plots/common.js";
import {
  $, Requests, apiLimits, colorOf, csv, displayNames, fStar, fmt, h, numberInput, sceneText, segmented, setStatus,
  setting, specOf, surfaceRef,
} from "./analysis-common.js";

const FLOOR = 1e-16;

/** The /api/tune body for a state: every optimizer without its lr (that is what is tuned). */
export function tuneBody(s) {
  const [lo, hi] = setting(s, "tlr");
  return {
    surface: surfaceRef(s), start: s.start, steps: s.steps,
    optimizers: s.opt.map((o) => { const { lr, ...spec } = specOf(o); return spec; }),
    budget: setting(s, "tbudget"), lr_range: { min: lo, max: hi }, method: setting(s, "tmethod"), schedule: s.schedule,
  };
}

export function mount(section, ctx) { return new TuneView(section, ctx); }

class TuneView {
  constructor(root, ctx) {
    Object.assign(this, { root, ctx, store: ctx.store });
    this.limits = apiLimits(ctx.limits);
    this.req = new Requests("tune", ctx, () => this.schedule());
    const $r = (id) => $(`#${id}`, root);
    this.el = { sub: $r("tune-sub"), method: $r("tune-method"), budget: $r("tune-budget"), lo: $r("tune-lo"), hi: $r("tune-hi"),
      apply: $r("tune-apply"), status: $r("tune-status"), curves: $r("tune-curves"), runs: $r("tune-runs"), rows: $r("tune-rows"),
      legend: $r("tune-legend"), note: $r("tune-budget-note"), unit: $r("tune-unit"), lossHead: $r("tune-loss-head"),
      overlay: root.querySelector(".an-overlay") };
    const up = (fn) => this.store.update(fn);
    this.paintMethod = segmented(this.el.method, () => setting(this.store.get(), "tmethod"), (v) => up((d) => { d.tmethod = v; }));
    this.setBudget = numberInput(this.el.budget, (v) => up((d) => { d.tbudget = Math.max(2, Math.min(64, Math.round(v))); }));
    const range = (k) => (v) => up((d) => { const r = [...setting(d, "tlr")]; r[k] = v; d.tlr = r; });
    this.setLo = numberInput(this.el.lo, range(0));
    this.setHi = numberInput(this.el.hi, range(1));
    this.el.apply.addEventListener("click", () => this.apply());
    root.querySelector("[data-goto=paths]")?.addEventListener("click", (ev) => { ev.preventDefault(); up((d) => { d.view = "paths"; }); });
    this.store.subscribe((s) => { if (s.view === "tune") this.schedule(); });
  }

  show() { this.schedule(); }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = null;
      const s = this.store.get();
      if (s.view !== "tune") return;
      try { this.render(s); } catch (err) { this.ctx.ui.error(err); }
      this.req.rendered();
    });
  }

  problem(s) {
    const [lo, hi] = setting(s, "tlr");
    if (!(lo > 0 && lo < hi)) return "η range: need 0 < “from” < “to”.";
    const work = s.opt.length * setting(s, "tbudget") * s.steps;
    if (work > this.limits.work) return `optimizers × budget × steps = ${work} is over the server's ${fmt(this.limits.work)}: lower the budget or the steps.`;
    return null;
  }

  render(s) {
    const body = tuneBody(s);
    const problem = this.problem(s);
    this.req.labels = { tune: "Tuning" };
    const result = problem ? null : this.req.want("tune", "/api/tune", body);
    if (result) { this.result = result; this.names = displayNames(s.opt); this.colors = s.opt.map(colorOf); }
    this.current = !!result; // the drawn result belongs to the current scene (apply is safe)
    const live = this.req.isLive("tune");
    this.el.overlay.hidden = !live;
    this.controls(s);
    if (this.result) this.draw(s, this.result);
    this.el.apply.disabled = !this.current || !this.result?.results.some((r) => r.best_lr !== null);
    this.status(s, problem, live, body);
  }

  controls(s) {
    this.paintMethod();
    this.setBudget(setting(s, "tbudget"));
    const [lo, hi] = setting(s, "tlr");
    this.setLo(lo); this.setHi(hi);
    const info = this.ctx.catalog.surfaces.find((x) => x.name === s.surface);
    const extra = sceneText(s, { noise: false });
    this.el.sub.textContent = `${s.opt.length} optimizer${s.opt.length > 1 ? "s" : ""} on ${info?.title || s.surface} · ` +
      `from (${fmt(s.start[0], 4)}, ${fmt(s.start[1], 4)}) · ${s.steps} steps${extra ? ` · ${extra}` : ""}${s.sigma > 0 ? " · noise off while tuning" : ""}`;
  }

  draw(s, res) {
    const fstar = fStar(this.ctx.catalog, s);
    const y = (f) => (f === null ? null : fstar === null ? f : Math.max(f - fstar, FLOOR));
    const unit = fstar === null ? "f" : "f − f*";
    this.el.unit.textContent = fstar === null ? "final f, log η" : "log–log";
    this.el.lossHead.textContent = `final ${unit}`;
    const names = this.names; const colors = this.colors;
    const key = JSON.stringify([res.lr_range, res.method, res.budget, res.steps, names, colors, s.opt.map((o) => o.lr), fstar]);
    if (this.drawnKey !== key) {
      this.drawnKey = key;
      this.drawCurves(res, names, colors, y, unit, fstar);
      this.drawRuns(res, names, colors, y, unit, fstar);
    }
    this.table(s, res, names, colors, fstar);
    this.el.note.textContent = res.method === "grid" ? `${res.budget} trials each · ${res.budget * res.steps} trial-steps`
      : `≤ ${res.budget * res.steps} trial-steps each (successive halving)`;
  }

  drawCurves(res, names, colors, y, unit, fstar) {
    const data = [];
    const log = fstar !== null;
    const finite = res.results.flatMap((r) => r.trials.final_loss.map(y)).filter((v) => v !== null);
    // diverged trials sit on a line well above the loss at the start (log) or the largest loss (linear);
    // finite losses beyond that line are clamped to it (the hover still gives the value)
    const start = res.results.find((r) => r.run)?.run.loss[0];
    const top = finite.length ? Math.max(...finite) : 1;
    const span = finite.length ? top - Math.min(...finite) : 1;
    const ceiling = log ? (start !== undefined ? y(start) : top) * 300 : top + 0.1 * (span || Math.abs(top) || 1);
    const shown = (f) => { const v = y(f); return v === null ? null : Math.min(v, log ? ceiling / 2 : ceiling); };
    const bump = (k) => (log ? ceiling * 1.9 ** k : ceiling + 0.015 * k * (span || 1));
    const rungs = Math.max(1, ...res.results.map((r) => Math.max(...r.trials.rung) + 1));
    res.results.forEach((r, k) => {
      const t = r.trials;
      for (let g = 0; g < rungs; g++) {
        const idx = t.rung.map((q, i) => (q === g ? i : -1)).filter((i) => i >= 0);
        if (!idx.length) continue;
        const last = g === rungs - 1;
        const ok = idx.filter((i) => !t.diverged[i]);
        data.push({ type: "scatter", mode: "lines+markers", uid: `curve-${k}-${g}`, name: names[k], x: ok.map((i) => t.lr[i]),
          y: ok.map((i) => shown(t.final_loss[i])), opacity: rungs > 1 && !last ? 0.28 + 0.5 * (g / rungs) : 1,
          line: { color: colors[k], width: last ? 2 : 1.2, dash: rungs > 1 && !last ? "dot" : "solid" },
          marker: { color: colors[k], size: last ? 6 : 4.5 }, customdata: ok.map((i) => [t.steps[i], fmt(y(t.final_loss[i]), 3)]),
          hovertemplate: `<b>${names[k]}</b><br>η = %{x:.4g}<br>${unit} = %{customdata[1]}<br>%{customdata[0]} steps${rungs > 1 ? ` · rung ${g + 1}` : ""}<extra></extra>` });
        const bad = idx.filter((i) => t.diverged[i]);
        if (bad.length) {
          data.push({ type: "scatter", mode: "markers", uid: `diverged-${k}-${g}`, name: `${names[k]} diverged`, x: bad.map((i) => t.lr[i]),
            y: bad.map(() => bump(k)), opacity: last ? 1 : 0.45, hovertemplate: `<b>${names[k]}</b><br>η = %{x:.4g}: diverged<extra></extra>`,
            marker: { symbol: "x-thin-open", size: 8, color: colors[k], line: { color: colors[k], width: 1.8 } } });
        }
      }
      if (r.best_lr !== null) {
        data.push({ type: "scatter", mode: "markers", uid: `best-${k}`, name: `${names[k]} tuned`, x: [r.best_lr], y: [y(r.best_loss)],
          hovertemplate: `<b>${names[k]}</b> tuned<br>η = %{x:.4g}<br>${unit} = %{y:.3g}<extra></extra>`,
          marker: { symbol: "circle-open", size: 17, color: colors[k], line: { color: colors[k], width: 2.6 } } });
      }
    });
    const L = chartLayout({ ytype: fstar === null ? "linear" : "log", ytitle: `final ${unit}`, revision: `${res.lr_range.min}|${res.lr_range.max}` });
    L.margin = { l: 56, r: 12, t: 10, b: 40 };
    L.hovermode = "closest";
    L.xaxis = { ...L.xaxis, type: "log", range: [Math.log10(res.lr_range.min) - 0.08, Math.log10(res.lr_range.max) + 0.08],
      title: { text: "learning rate η", standoff: 6, font: { size: 11.5, color: MUTED } }, exponentformat: "power" };
    L.yaxis = { ...L.yaxis, nticks: 7 };
    if (data.some((d) => d.uid.startsWith("diverged"))) {
      const line = log ? ceiling / 1.4 : ceiling - 0.03 * (span || 1);
      L.shapes = [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: line, y1: line, line: { color: "#c9ced8", width: 1, dash: "dot" } }];
      L.annotations = [{ xref: "paper", x: 0.005, yref: "y", y: log ? Math.log10(ceiling) : ceiling, text: "✕ diverged", showarrow: false,
        xanchor: "left", font: { size: 10.5, color: MUTED }, yshift: 10 }];
    }
    plotly().react(this.el.curves, data, L, { ...CONFIG, displayModeBar: false });
  }

  drawRuns(res, names, colors, y, unit, fstar) {
    const data = res.results.map((r, k) => (r.run ? { type: "scatter", mode: "lines", uid: `run-${k}`, name: names[k],
      x: r.run.loss.map((_, t) => t), y: r.run.loss.map(y), line: { color: colors[k], width: 1.8 },
      hovertemplate: `<b>${names[k]}</b> t = %{x}: %{y:.3g}<extra></extra>` } : null)).filter(Boolean);
    const L = chartLayout({ ytype: fstar === null ? "linear" : "log", ytitle: unit, xmax: res.steps, revision: `${res.steps}` });
    L.margin = { l: 50, r: 10, t: 6, b: 30 };
    L.hovermode = "closest";
    plotly().react(this.el.runs, data, L, { ...CONFIG, displayModeBar: false });
  }

  table(s, res, names, colors, fstar) {
    const rows = res.results.map((r, k) => {
      const now = s.opt[k]?.lr;
      const applied = r.best_lr !== null && now !== undefined && Math.abs(now - roundSig(r.best_lr, 6)) <= 1e-12 * Math.max(1, now);
      const status = r.run?.status === "converged" ? h("span", { class: "status good", title: `converged in ${r.run.steps_taken} steps` }, " ✓")
        : r.run?.status === "diverged" ? h("span", { class: "status bad" }, " ✕") : "";
      return h("tr", { "data-testid": "tune-row", "data-applied": String(applied) },
        h("th", { scope: "row" }, h("span", { class: "swatch", style: `--c:${colors[k]}`, "aria-hidden": "true" }), h("span", { class: "name" }, names[k])),
        h("td", { class: `num${applied ? " good" : ""}`, title: applied ? "the tuned η is in use" : "" }, now === undefined ? "—" : fmt(now, 3)),
        h("td", { class: "num", "data-testid": "tuned-lr" }, r.best_lr === null ? "all diverged" : fmt(r.best_lr, 4)),
        h("td", { class: "num" }, fmt(r.best_loss === null ? null : fstar === null ? r.best_loss : r.best_loss - fstar, 3), status),
        h("td", { class: "num", title: `${r.candidates} distinct η, ${r.trial_steps} trial-steps` }, String(r.trials_used)));
    });
    this.el.rows.replaceChildren(...rows);
    this.el.legend.replaceChildren(...res.results.map((r, k) => h("li", { style: `--c:${colors[k]}` },
      h("span", { class: "legend-line", "aria-hidden": "true" }), h("span", { class: "legend-name" }, names[k]),
      h("span", { class: "status" }, r.best_lr === null ? "every trial diverged" : `η = ${fmt(r.best_lr, 3)}`))),
    h("li", { class: "legend-key" }, h("span", { class: "key-sym", "aria-hidden": "true" }, "◯"), "tuned η"),
    ...(res.method === "halving" ? [h("li", { class: "legend-key" }, "dotted: shorter early rungs")] : []));
  }

  apply() {
    const res = this.result;
    if (!res || !this.current) return;
    const tuned = res.results.map((r) => (r.best_lr === null ? null : roundSig(r.best_lr, 6)));
    this.store.update((d) => tuned.forEach((lr, k) => { if (lr !== null && d.opt[k]) d.opt[k].lr = lr; }));
    const n = tuned.filter((v) => v !== null).length;
    const skipped = tuned.length - n;
    this.ctx.ui.toast(`Tuned η set for ${n} optimizer${n === 1 ? "" : "s"}${skipped ? ` (${skipped} diverged everywhere, unchanged)` : ""}. Paths shows the fair comparison.`);
  }

  status(s, problem, live, body) {
    const el = this.el.status;
    if (problem) return setStatus(el, { error: true, text: problem });
    const n = s.opt.length; const b = setting(s, "tbudget");
    if (live) return setStatus(el, { busy: true, text: `Tuning ${n} optimizer${n > 1 ? "s" : ""} × ${b} ${setting(s, "tmethod") === "grid" ? "trials" : "trial budget"} × ${s.steps} steps…` });
    if (this.req.hasFailed("tune", body)) return setStatus(el, { error: true, text: "The server refused this tuning request (see the message above)." });
    const res = this.result;
    if (!res) return setStatus(el, { text: "" });
    const best = res.results.map((r, k) => ({ k, loss: r.best_loss })).filter((r) => r.loss !== null).sort((a, c) => a.loss - c.loss)[0];
    setStatus(el, { text: `Same budget for all: ${res.method === "grid" ? `${res.budget} log-spaced η each` : `successive halving within ${res.budget} × ${res.steps} trial-steps each`}` +
      `${best ? ` · lowest final loss: ${this.names[best.k]}` : ""}.` });
  }

  exportAs(kind) {
    const res = this.result;
    if (!res) return this.ctx.ui.toast("Nothing to export yet.");
    if (kind === "png") return plotly().downloadImage(this.el.curves, { format: "png", filename: "losslab-tune", scale: 2 });
    if (kind === "json") return download("losslab-tune.json", JSON.stringify(res, null, 1));
    const rows = res.results.flatMap((r, k) => r.trials.lr.map((lr, i) => [this.names[k], lr, r.trials.steps[i], r.trials.rung[i],
      r.trials.final_loss[i], r.trials.diverged[i], lr === r.best_lr]));
    return download("losslab-tune.csv", csv(["optimizer", "lr", "steps", "rung", "final_loss", "diverged", "chosen"], rows), "text/csv");
  }
}
