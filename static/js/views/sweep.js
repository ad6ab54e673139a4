// views/sweep.js — the "Sweep" view: the current Networks scene (or the Paths scene: a 2D run) trained over a
// grid of two hyperparameters of one of its optimizers × several seeds (POST /api/sweep/stream, computed on the
// server's Dask cluster). A heatmap fills in as cells arrive (median final loss on a log colour, median accuracy
// or the fraction of seeds that diverged), with the spread across seeds on hover, progress, cancel and CSV
// export. Clicking a cell opens that training (replicate 0: the scene's own seeds) in Networks (or Paths). For a
// Paths scene with a theory (a constant Hessian, gd/momentum/nesterov) the stream's meta line carries the
// boundary /api/phase draws (engine/theory.py): drawn over the map as the Phase view draws it.

import { isAbort, getJSON, streamNDJSON } from "../api.js";
import { $, download, fmt } from "../dom.js";
import { INK, plotly } from "../plots/common.js";
import { effective, requestBody } from "./networks-config.js";
import { runBody } from "./paths.js";
import { axisParams } from "./phase.js";

const RANGE = { lr: [1e-3, 3], momentum: [0, 0.99], beta1: [0, 0.99], beta2: [0.9, 0.9999], alpha: [0.5, 0.9999],
  rho: [0.5, 0.99], eps: [1e-10, 1e-2], weight_decay: [0, 0.1], dampening: [0, 1], lr_decay: [0, 1] };
const PATHS_RANGE = { lr: [1e-3, 1] }; // 2D surfaces: Phase's η range
const LOG = new Set(["lr", "eps"]);
const SYM = { lr: "η", momentum: "μ", beta1: "β₁", beta2: "β₂", alpha: "α", rho: "ρ", eps: "ε", weight_decay: "wd" };
const METRICS = {
  median_final_loss: { caption: "Median final loss", unit: "across seeds, log colour", log: true, scale: "Viridis" },
  median_accuracy: { caption: "Median accuracy", unit: "across seeds that did not diverge", log: false, scale: "Viridis" },
  diverged_fraction: { caption: "Fraction diverged", unit: "seeds whose loss or gradient became non-finite", log: false,
    scale: [[0, "#f4f1ea"], [1, "#7a3206"]] },
};
const DIVERGED = "#b9b4aa";
const CLUSTER_POLLS = 240; // × CLUSTER_POLL_MS: then the sweep is sent anyway (its 503s are retried)
const CLUSTER_POLL_MS = 500;
const sym = (name) => SYM[name] || name;

export function mount(section, ctx) { return new SweepView(section, ctx); }

class SweepView {
  constructor(root, ctx) {
    Object.assign(this, { root, ctx, store: ctx.store });
    const $r = (id) => $(`#${id}`, root);
    this.el = Object.fromEntries(["sub", "base", "opt", "x", "y", "xlo", "xhi", "ylo", "yhi", "n", "seeds", "target",
      "metric", "run", "cancel", "csv", "progress", "status-text", "caption", "unit", "map", "theory"]
      .map((k) => [k, $r(`sweep-${k}`)]));
    this.optNames = ctx.catalog.optimizers.map((o) => o.name).filter((n) => n !== "newton");
    this.net = null;
    this.sweep = null; // {meta, cells: Map index→cell, done, names}
    this.abort = null;
    this.axes = { x: null, y: null };
    this.el.run.addEventListener("click", () => this.start());
    this.el.cancel.addEventListener("click", () => this.stop("Cancelled."));
    this.el.csv.addEventListener("click", () => this.exportCsv());
    this.el.metric.addEventListener("change", () => this.draw());
    this.el.opt.addEventListener("change", () => { this.axes = { x: null, y: null }; this.render(); });
    this.el.base.addEventListener("change", () => {
      this.axes = { x: null, y: null }; this.el.opt.value = ""; this.render(true);
    });
    for (const k of ["x", "y"]) this.el[k].addEventListener("change", () => { this.axes[k] = this.el[k].value; this.render(true); });
    for (const view of ["networks", "paths"]) {
      root.querySelector(`[data-goto=${view}]`)?.addEventListener("click", (ev) => {
        ev.preventDefault(); this.store.update((d) => { d.view = view; });
      });
    }
    getJSON("/api/sweep/cluster").catch(() => null); // warm the Dask workers up before the first sweep
    getJSON("/api/network/datasets").then((net) => { this.net = net; this.render(); })
      .catch((err) => ctx.ui.error(`Could not load the network catalogue: ${err.message}`));
    this.store.subscribe((s) => { if (s.view === "sweep" && this.net) this.render(); });
  }

  show() {
    if (this.net) this.render();
    requestAnimationFrame(() => { if (this.el.map.offsetParent && this.sweep) plotly().Plots.resize(this.el.map); });
  }

  get paths() { return this.el.base.value === "paths"; }

  /** The scene a sweep starts from: the Networks config, or the Paths state (its optimizers as `opt`). */
  cfg() {
    if (!this.paths) return effective(this.store.get(), this.net, this.optNames);
    const s = this.store.get();
    return { kind: "run", s, opt: s.opt.filter((o) => this.optNames.includes(o.name)) };
  }

  /** Fill the selects from the Networks scene; `axisChanged` resets that axis's range to its default. */
  render(axisChanged = false) {
    const cfg = this.cfg();
    const e = this.el;
    if (!cfg.opt.length) { e.sub.textContent = "The Paths scene has no optimizer to sweep: add one in Paths."; this.mark(); return; }
    const auto = Math.max(0, cfg.opt.findIndex((o) => ["momentum", "nesterov"].includes(o.name)));
    const idx = e.opt.value === "" ? auto : Math.min(Number(e.opt.value) || 0, cfg.opt.length - 1);
    e.opt.replaceChildren(...cfg.opt.map((o, i) => new Option(`${o.name} (η ${fmt(o.lr ?? NaN)})`, String(i))));
    e.opt.value = String(idx);
    const info = this.ctx.catalog.optimizers.find((o) => o.name === cfg.opt[idx].name);
    const params = axisParams(info);
    const names = Object.keys(params);
    const x = names.includes(this.axes.x) ? this.axes.x : names.includes("lr") ? "lr" : names[0];
    const y = names.includes(this.axes.y) && this.axes.y !== x ? this.axes.y
      : ["momentum", "beta1", "alpha", "rho", "weight_decay"].find((n) => n !== x && names.includes(n)) || names.find((n) => n !== x);
    const reset = axisChanged || x !== this.axes.x || y !== this.axes.y;
    this.axes = { x, y };
    for (const [k, name] of [["x", x], ["y", y]]) {
      e[k].replaceChildren(...names.map((n) => new Option(sym(n) === n ? n : `${sym(n)} (${n})`, n)));
      e[k].value = name;
      if (reset || e[`${k}lo`].value === "") {
        const p = params[name];
        const [lo, hi] = (this.paths && PATHS_RANGE[name]) || RANGE[name] || [p.min ?? 0, p.max ?? 1];
        e[`${k}lo`].value = Math.max(lo, p.min ?? lo);
        e[`${k}hi`].value = Math.min(hi, p.max ?? hi);
      }
    }
    this.params = params;
    e.metric.querySelector("[value=median_accuracy]").disabled = this.paths; // a 2D run has no accuracy
    e.seeds.disabled = this.paths && !(cfg.s.sigma > 0); // no gradient noise: every replicate is the same run
    e.seeds.title = e.seeds.disabled ? "No gradient noise in the Paths scene: one run per cell" : "";
    if (this.paths && e.metric.value === "median_accuracy") e.metric.value = "median_final_loss";
    if (this.paths) {
      const { s } = cfg;
      e.sub.textContent = `${s.surface} from (${s.start.map((v) => fmt(v)).join(", ")}), ${s.steps} steps`
        + `${s.sigma > 0 ? `, gradient noise σ = ${fmt(s.sigma)}` : ""} — the Paths scene`;
    } else {
      const arch = ["2", ...cfg.model.hidden, "1"].join("–");
      e.sub.textContent = `${arch} ${cfg.model.activation} MLP on ${cfg.data.n} ${cfg.data.name} points, ${cfg.steps} steps`
        + `${cfg.batch > 0 ? `, batch ${cfg.batch}` : ", full batch"} — the Networks scene`;
    }
    this.mark();
  }

  /** The hooks protocol of main.js: busy while a sweep streams, a new version per render. */
  mark() {
    const hooks = this.ctx.hooks;
    if (this.store.get().view !== "sweep") return;
    hooks.busy = Boolean(this.abort);
    hooks.version += 1;
    hooks.sweep = this.sweep ? { cells: this.sweep.cells.size, total: this.sweep.meta?.cells ?? null,
      done: this.sweep.done, axes: this.sweep.meta?.axes ?? null, kind: this.sweep.kind,
      theory: this.sweep.meta?.theory ? this.sweep.meta.theory.boundary.map((c) => c.kind) : null } : null;
    hooks.markReady();
  }

  /** The POST /api/sweep body: the Networks (or Paths) request with the chosen optimizer alone, two axes, seeds. */
  body() {
    const cfg = this.cfg();
    const e = this.el;
    const idx = Number(e.opt.value) || 0;
    const request = this.paths ? runBody(cfg.s) : requestBody(cfg);
    const { c, ...spec } = cfg.opt[idx];
    const axes = [];
    for (const k of ["x", "y"]) {
      const p = this.params[this.axes[k]];
      let path = `optimizers.0.${p.name}`;
      if (p.pair) {
        const info = this.ctx.catalog.optimizers.find((o) => o.name === spec.name);
        const own = Array.isArray(spec[p.pair]) && spec[p.pair].length === 2 ? spec[p.pair] : null;
        spec[p.pair] = [...(own || info.params.find((q) => q.name === p.pair).default)];
        path = `optimizers.0.${p.pair}.${p.k}`;
      }
      const lo = Number(e[`${k}lo`].value);
      const hi = Number(e[`${k}hi`].value);
      const n = Math.max(2, Math.min(41, Math.round(Number(e.n.value) || 8)));
      axes.push({ path, range: { min: lo, max: hi, n, log: LOG.has(this.axes[k]) && lo > 0 } });
    }
    let count = Math.max(1, Math.min(16, Math.round(Number(e.seeds.value) || 1)));
    if (this.paths) {
      request.optimizers = [spec];
      if (!(cfg.s.sigma > 0)) count = 1; // without gradient noise every replicate is the same run
    } else {
      Object.assign(request, { optimizers: [spec], plane: null, decision: null, sharpness_every: null });
    }
    const target = Number(e.target.value);
    const body = { base: { kind: this.paths ? "run" : "network", request }, axes, seeds: { count } };
    if (e.target.value.trim() !== "" && Number.isFinite(target)) body.target_loss = target;
    return body;
  }

  async start() {
    this.stop();
    const body = this.body();
    const ctrl = new AbortController();
    this.abort = ctrl;
    this.sweep = { meta: null, cells: new Map(), done: false, spec: body.base.request.optimizers[0], axes: [this.axes.x, this.axes.y],
      kind: body.base.kind, idx: Number(this.el.opt.value) || 0 };
    this.busy(true);
    this.status("Starting the sweep…", 0);
    this.ctx.ui.clearError("api");
    try {
      await this.clusterReady(ctrl.signal);
      await streamNDJSON("/api/sweep/stream", body, { signal: ctrl.signal, onLine: (msg) => this.onLine(msg) });
      if (this.sweep.done) {
        const m = this.sweep.meta.done;
        const seeds = this.sweep.meta.seeds;
        this.status(`${m.cells} cells × ${seeds} seed${seeds === 1 ? "" : "s"} = ${m.trainings} trainings in ${fmt(m.seconds)} s`
          + (m.workers.length ? ` on ${m.workers.length} worker${m.workers.length === 1 ? "" : "s"} (${m.tasks} task${m.tasks === 1 ? "" : "s"}).`
            : " in the server process (its Dask workers were still starting)."), 1);
      } else if (!ctrl.signal.aborted) {
        this.status("The stream was cut off before the end.", this.progress());
      }
    } catch (err) {
      if (!isAbort(err)) { this.ctx.ui.error(err, "api"); this.status(`Failed: ${err.message}`, this.progress()); }
    } finally {
      if (this.abort === ctrl) { this.abort = null; this.busy(false); }
    }
  }

  /** Wait (bounded) while the server starts its Dask workers: a sweep sent earlier is a 503 + Retry-After. */
  async clusterReady(signal) {
    for (let i = 0; i < CLUSTER_POLLS; i++) {
      const st = await getJSON("/api/sweep/cluster", { signal }); // also starts the cluster if it is not
      if (st.ready) return;
      this.status("Starting the Dask workers (the first sweep after the server starts)…", 0);
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, CLUSTER_POLL_MS);
        signal.addEventListener("abort", () => { clearTimeout(timer); reject(new DOMException("Aborted", "AbortError")); }, { once: true });
      });
    }
  }

  onLine(msg) {
    const sw = this.sweep;
    if (msg.type === "meta") {
      sw.meta = msg;
    } else if (msg.type === "cell") {
      sw.cells.set(msg.index.join(","), msg);
      this.status(`${sw.cells.size} / ${sw.meta.cells} cells…`, this.progress());
    } else if (msg.type === "done") {
      sw.done = true;
      sw.meta.done = msg.meta;
    }
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = null; this.draw(); });
  }

  progress() { return this.sweep?.meta ? this.sweep.cells.size / this.sweep.meta.cells : 0; }

  stop(message) {
    if (this.abort) { this.abort.abort(); this.abort = null; }
    this.busy(false);
    if (message) this.status(message, this.progress());
  }

  busy(on) {
    this.el.run.disabled = on;
    this.el.cancel.disabled = !on;
    this.el.csv.disabled = !(this.sweep && this.sweep.cells.size);
    this.el.map.dataset.busy = String(on);
    this.mark();
  }

  status(text, share) {
    this.el["status-text"].textContent = text;
    this.el.progress.style.width = `${Math.round(100 * Math.min(1, share))}%`;
  }

  draw() {
    const sw = this.sweep;
    if (!sw?.meta) return;
    const metric = METRICS[this.el.metric.value];
    this.el.caption.textContent = metric.caption;
    this.el.unit.textContent = metric.unit;
    const [ax, ay] = sw.meta.axes;
    const z = ay.values.map(() => ax.values.map(() => null));
    const grey = ay.values.map(() => ax.values.map(() => null));
    const text = ay.values.map(() => ax.values.map(() => ""));
    for (const cell of sw.cells.values()) {
      const [i, j] = cell.index;
      const v = cell[this.el.metric.value];
      if (v === null || v === undefined) grey[j][i] = 1;
      else z[j][i] = metric.log ? Math.log10(Math.max(v, 1e-16)) : v;
      text[j][i] = hoverText(cell, sw.axes);
    }
    const traces = [
      { type: "heatmap", x: ax.values, y: ay.values, z: grey, showscale: false, hoverinfo: "skip",
        colorscale: [[0, DIVERGED], [1, DIVERGED]], xgap: 1, ygap: 1 },
      { type: "heatmap", x: ax.values, y: ay.values, z, text, hovertemplate: "%{text}<extra></extra>", xgap: 1, ygap: 1,
        colorscale: metric.scale, zmin: this.el.metric.value === "median_final_loss" ? undefined : 0,
        zmax: this.el.metric.value === "median_final_loss" ? undefined : 1,
        colorbar: { thickness: 12, title: { text: metric.log ? "log₁₀" : "", side: "right" } } },
      ...theoryTraces(sw.meta.theory),
    ];
    const axis = (a, k) => ({ title: { text: sym(sw.axes[k]) }, type: isLog(a.values) ? "log" : "linear",
      range: extent(a.values, isLog(a.values)) }); // the grid's extent: boundary curves may run past it
    const layout = { margin: { l: 58, r: 8, t: 8, b: 46 }, uirevision: "sweep", showlegend: false,
      xaxis: axis(ax, 0), yaxis: axis(ay, 1) };
    this.theoryLegend(sw.meta.theory);
    plotly().react(this.el.map, traces, layout, { displaylogo: false, responsive: true });
    this.el.map.dataset.cells = String(sw.cells.size);
    this.el.map.dataset.total = String(sw.meta.cells);
    this.el.map.dataset.done = String(sw.done);
    this.el.csv.disabled = !sw.cells.size;
    this.mark();
    if (!this.el.map.dataset.wired) {
      this.el.map.dataset.wired = "1";
      this.el.map.on("plotly_click", (ev) => {
        const p = ev.points?.[0];
        const at = p && (Array.isArray(p.pointIndex) ? p.pointIndex : p.pointNumber);
        if (Array.isArray(at)) this.open(at[1], at[0]);
      });
    }
  }

  /** The theory line under the map: what the drawn curves are (or nothing when there is no theory). */
  theoryLegend(theory) {
    const el = this.el.theory;
    el.hidden = !theory;
    if (!theory) return;
    const curves = theory.boundary.map((c) => `${c.kind === "stability" ? "stability boundary" : "best fixed step"} ${c.formula}`);
    const o = theory.optimum;
    if (o) curves.push(`★ optimum η* = ${fmt(o.lr, 3)}, μ* = ${fmt(o.momentum, 3)}${o.inside ? "" : " (outside the grid)"}`);
    el.textContent = `Theory (λmin = ${fmt(theory.lambda_min, 4)}, λmax = ${fmt(theory.lambda_max, 4)}): ${curves.join("; ")}.`;
  }

  /** Open cell (i, j)'s run, replicate 0, in Networks (or Paths): that optimizer alone with the cell's values. */
  open(i, j) {
    const cell = this.sweep?.cells.get(`${i},${j}`);
    if (!cell) return;
    const spec = structuredClone(this.sweep.spec);
    for (const [path, value] of Object.entries(cell.values)) {
      const keys = path.split(".").slice(2); // optimizers.0.<name>[.<k>]
      if (keys.length === 2) spec[keys[0]][Number(keys[1])] = value; else spec[keys[0]] = value;
    }
    const paths = this.sweep.kind === "run";
    const s = this.store.get();
    const old = paths ? s.opt[this.sweep.idx] : this.cfg().opt[this.sweep.idx];
    this.store.update((d) => {
      if (paths) { d.opt = [{ ...spec, c: old?.c ?? 0 }]; d.view = "paths"; } else { d.nopt = [{ ...spec, c: old?.c ?? 0 }]; d.view = "networks"; }
    });
  }

  exportCsv() {
    const sw = this.sweep;
    if (!sw?.cells.size) return;
    const paths = sw.meta.axes.map((a) => a.path);
    const rows = [[...paths, "replicate", "final_loss", "best_loss", "accuracy", "status", "steps_to_target",
      "median_final_loss", "median_accuracy", "diverged_fraction"].join(",")];
    const cells = [...sw.cells.values()].sort((a, b) => a.index[0] - b.index[0] || a.index[1] - b.index[1]);
    for (const cell of cells) {
      for (const s of cell.seeds) {
        rows.push([...paths.map((p) => cell.values[p]), s.replicate, s.final_loss ?? "", s.best_loss ?? "", s.accuracy ?? "",
          s.status, s.steps_to_target ?? "", cell.median_final_loss ?? "", cell.median_accuracy ?? "", cell.diverged_fraction].join(","));
      }
    }
    download("losslab-sweep.csv", `${rows.join("\n")}\n`, "text/csv");
  }
}

/** Boundary curves and the optimum from the API's theory block (axis values, x first), drawn as Phase draws them. */
function theoryTraces(theory) {
  if (!theory) return [];
  const out = [];
  for (const c of theory.boundary) {
    const dash = c.kind === "optimal_lr" ? "dash" : "solid";
    out.push({ type: "scatter", mode: "lines", uid: `halo-${c.kind}`, x: c.x, y: c.y, hoverinfo: "skip",
      line: { color: "rgba(255,255,255,0.85)", width: 4.5 } });
    out.push({ type: "scatter", mode: "lines", uid: `boundary-${c.kind}`, name: c.formula, x: c.x, y: c.y,
      hovertemplate: `${c.formula}<extra></extra>`, line: { color: INK, width: 2, dash } });
  }
  const o = theory.optimum;
  if (o?.inside) {
    out.push({ type: "scatter", mode: "markers", uid: "optimum", x: [o.x], y: [o.y],
      hovertemplate: `optimum: η* = ${fmt(o.lr, 4)}, μ* = ${fmt(o.momentum, 4)}<br>ρ* = ${fmt(o.rate, 4)}<extra></extra>`,
      marker: { symbol: "star", size: 17, color: "#FFD23F", line: { color: INK, width: 1.3 } } });
  }
  return out;
}

/** Plotly's axis range covering every cell (log axes in decades). */
function extent(values, log) {
  const v = log ? values.map(Math.log10) : values;
  const half = v.length > 1 ? (v[v.length - 1] - v[0]) / (v.length - 1) / 2 : 0.5;
  return [v[0] - half, v[v.length - 1] + half];
}

function isLog(values) {
  if (values.length < 3 || !(values[0] > 0)) return false;
  const r1 = values[1] / values[0];
  const r2 = values[2] / values[1];
  return Math.abs(r1 - r2) < 1e-6 * r1 && Math.abs(values[2] - values[1] - (values[1] - values[0])) > 1e-9 * values[2];
}

function hoverText(cell, names) {
  const head = Object.values(cell.values).map((v, k) => `${sym(names[k])} = ${fmt(v)}`).join(", ");
  const iqr = cell.iqr_final_loss.map((v) => (v === null ? "∞" : fmt(v))).join("–");
  const losses = cell.seeds.map((s) => (s.status === "diverged" ? "div." : fmt(s.final_loss))).join(", ");
  const diverged = cell.seeds.filter((s) => s.status === "diverged").length;
  return `${head}<br>median loss ${cell.median_final_loss === null ? "—" : fmt(cell.median_final_loss)} (IQR ${iqr})`
    + `<br>median accuracy ${cell.median_accuracy === null ? "—" : fmt(cell.median_accuracy)}`
    + `<br>diverged ${diverged}/${cell.seeds.length}<br>seeds: ${losses}`;
}
