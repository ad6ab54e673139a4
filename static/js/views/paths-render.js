// views/paths-render.js — draws the Paths view from its scene: contour (+3D), the three step charts,
// theory panel, legend and title. Plotly.react with uirevision keeps the user's zoom across re-runs.

import { $, fmt, h } from "../dom.js";
import { colorOf, displayNames } from "../controls/optimizers.js";
import { CONFIG, levelTransform, plotly, timeShape, traceIndex } from "../plots/common.js";
import { arrowLengths, axesSegments, contourFigure, indexAt, nowTrace } from "../plots/contour.js";
import { distTargets, lossOffset, seriesFigure, seriesFor, valueAt } from "../plots/series.js";
import { hasWebGL, surfaceFigure } from "../plots/surface3d.js";
import { renderTheory } from "../theory.js";

const KINDS = [["loss", "#chart-loss"], ["dist", "#chart-dist"], ["lr", "#chart-lr"]];
const PARAM_NAME = { kappa: "κ", theta: "θ", lam_min: "λ<sub>min</sub>" };

export class Renderer {
  constructor(root, view) {
    this.root = root;
    this.view = view;
    this.el = {
      plots: $("#plots", root), contour: $("#contour", root), s3d: $("#surface3d", root), legend: $("#legend", root),
      theory: $("#theory", root), title: $("#scene-title", root), sub: $("#scene-sub", root),
      lossUnit: $("#loss-unit", root), distTarget: $("#dist-target", root),
    };
    this.charts = KINDS.map(([kind, sel]) => ({ kind, gd: $(sel, root) }));
    this.raf = null;
    this.mode = null;
    this.shown = null; // {run, names, colors, info} last drawn
    // the contour's frame depends on the div's size (equal axis scales): redraw when it changes
    let last = "";
    new ResizeObserver(() => {
      const key = `${this.el.contour.clientWidth}x${this.el.contour.clientHeight}`;
      if (key !== last) { last = key; this.schedule(); }
    }).observe(this.el.contour);
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = null;
      try { this.draw(); } catch (err) { this.view.ctx.ui.error(err); }
      this.view.rendered();
    });
  }

  /** Transformed z (log levels), cached per grid + flag so Plotly.react sees the same array. */
  levels(sc, log) {
    const key = `${sc.surfaceKey}|${log}`;
    if (sc.zKey !== key) {
      const lv = levelTransform(sc.grid.zmin ?? 0, sc.grid.zmax ?? 1, log);
      sc.zT = sc.grid.z.map((row) => row.map((v) => (v === null ? null : lv.fwd(v))));
      sc.levels = lv;
      sc.zKey = key;
    }
    return sc.levels;
  }

  draw() {
    const v = this.view; const sc = v.scene; const st = v.store.get();
    if (!sc.grid || !sc.info) return;
    // a new surface waits for its paths (no flicker of path-less contours while a slider moves)
    if (v.aborts.run && sc.run?.surfaceKey !== sc.surfaceKey) return;
    const P = plotly();
    // log levels need a floor to measure from: surfaces without a minimum (saddles) use linear levels
    const logOk = (sc.info.minima || []).length > 0;
    const log = st.log && logOk;
    const logBox = this.root.querySelector("#log-levels");
    logBox.disabled = !logOk;
    logBox.parentElement.title = logOk ? "Contour levels spaced evenly in log(f − f_min)" : "No minimum here: levels are linear";
    const levels = this.levels(sc, log);
    const run = sc.run && sc.run.surfaceKey === sc.surfaceKey ? sc.run : null;
    const opts = run ? run.opts : [];
    const names = displayNames(opts); const colors = opts.map(colorOf);
    const longest = run ? Math.max(0, ...run.runs.map((r) => r.path.length - 1)) : 0;
    v.scrubber.setMax(run?.done ? longest : Math.max(longest, 0));
    const t = v.scrubber.t; const tmax = v.scrubber.max;
    const revision = `${sc.info.name}|${JSON.stringify(sc.info.domain)}`;
    const startF = sc.point && sc.pointKey?.startsWith(sc.surfaceKey) ? sc.point.f : null;
    const s = { grid: sc.grid, zT: sc.zT, levels, info: sc.info, run, surfaceKey: sc.surfaceKey, point: sc.point,
      start: st.start, startF, names, colors, t, tmax, revision, log, showscale: st.plot !== "split",
      size: { w: this.el.contour.clientWidth, h: this.el.contour.clientHeight },
      axes: sc.axes && st.eig ? axesSegments(sc.axes, sc.info.domain) : null,
      overlay: run ? v.teach?.overlay() : null }; // step-through arrows (teach/step.js)
    this.shown = { run, names, colors, info: sc.info, levels };

    this.setMode(st.plot);
    if (st.plot !== "3d" || !this.drawnContour) {
      const fig = contourFigure(s);
      P.react(this.el.contour, fig.data, fig.layout, CONFIG);
      this.drawnContour = true;
      this.attach();
    }
    if (st.plot !== "2d") this.draw3d(s);
    for (const c of this.charts) {
      const fig = seriesFigure(c.kind, { run, info: sc.info, names, colors, t, revision: `${revision}|${run?.steps}` });
      P.react(c.gd, fig.data, fig.layout, { ...CONFIG, displayModeBar: false });
    }
    renderTheory(this.el.theory, { run, names, colors, start: sc.point, onOptimal: () => v.useOptimal() });
    this.legend(run, names, colors);
    this.title(sc.info, st);
  }

  draw3d(s) {
    if (!hasWebGL()) {
      this.el.s3d.replaceChildren(h("p", { class: "no-webgl" }, "3D needs WebGL, which this browser does not offer."));
      return;
    }
    const fig = surfaceFigure(s);
    this.levels3d = fig.levels;
    plotly().react(this.el.s3d, fig.data, fig.layout, CONFIG);
  }

  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    this.el.contour.hidden = mode === "3d";
    this.el.s3d.hidden = mode === "2d";
    this.el.plots.dataset.mode = mode;
    requestAnimationFrame(() => {
      for (const gd of [this.el.contour, this.el.s3d]) if (!gd.hidden && gd.data) plotly().Plots.resize(gd);
    });
  }

  attach() {
    const gd = this.el.contour;
    if (this.attached) return;
    this.attached = true;
    gd.on("plotly_click", (ev) => {
      if (this.view.teach?.active) return; // step-through mode: a click focuses the plot for the arrow keys
      const x = ev?.xvals?.[0] ?? ev?.points?.[0]?.x; const y = ev?.yvals?.[0] ?? ev?.points?.[0]?.y;
      if (Number.isFinite(x) && Number.isFinite(y)) this.view.moveStart(x, y);
    });
    this.view.readout.attach(gd);
  }

  legend(run, names, colors) {
    const items = (run?.runs || []).map((r, i) => {
      const last = r.loss[r.loss.length - 1];
      const status = r.status === "diverged" ? h("span", { class: "status bad" }, `✕ diverged at step ${r.steps_taken + 1}`)
        : r.status === "converged" ? h("span", { class: "status good" }, `✓ converged · ${r.steps_taken} steps`)
          : r.status === "running" ? h("span", { class: "status muted" }, "running…")
            : h("span", { class: "status", html: `f = ${fmt(last, 3)}` });
      return h("li", { style: `--c:${colors[i]}`, "data-testid": "legend-item", "data-status": r.status },
        h("span", { class: "legend-line", "aria-hidden": "true" }), h("span", { class: "legend-name" }, names[i]), status);
    });
    // keys for the marks that are not optimizers
    const info = this.view.scene.info || {};
    const key = (sym, text, title) => h("li", { class: "legend-key", title }, h("span", { class: "key-sym", "aria-hidden": "true" }, sym), text);
    if (info.minima?.length) items.push(key("★", "minimum", "stationary point with a positive definite Hessian"));
    if (info.saddles?.length && info.saddles.length <= 40) items.push(key("✕", "saddle", "stationary point with an indefinite Hessian"));
    items.push(key("⟷", "Hessian axes ∝ |λ|", "eigenvectors of the Hessian, drawn both ways, length proportional to |λ|; red where λ < 0"));
    this.el.legend.replaceChildren(...items);
  }

  title(info, st) {
    this.el.title.textContent = info.title;
    const parts = info.params.map((p) => {
      const val = st.sp[p.name] ?? p.default;
      return `${PARAM_NAME[p.name] || p.name} = ${fmt(val, 4)}${p.name === "theta" ? "°" : ""}`;
    });
    this.el.sub.innerHTML = parts.join(" · ") || "no parameters";
    this.el.lossUnit.textContent = lossOffset(info) === null ? "f (no minimum)" : "f − f*, log scale";
    this.el.distTarget.textContent = distTargets(info).label;
  }

  /** Move the "now" markers and the time hairlines without rebuilding any figure. */
  time(t) {
    const sh = this.shown;
    if (!sh?.run) return;
    const P = plotly();
    const now = nowTrace(sh.run, sh.colors, t);
    const gd = this.el.contour;
    const i = traceIndex(gd, "now");
    if (i >= 0) P.restyle(gd, { x: [now.x], y: [now.y], visible: [t < this.view.scrubber.max] }, [i]);
    if (!this.el.s3d.hidden && this.el.s3d.data) {
      const j = traceIndex(this.el.s3d, "now3d");
      const lv = this.levels3d;
      const lift = (lv.hi - lv.lo) * 0.006;
      const z = sh.run.runs.map((r) => (r.path.length ? lv.fwd(r.loss[indexAt(r, t)]) + lift : null));
      if (j >= 0) P.restyle(this.el.s3d, { x: [now.x], y: [now.y], z: [z] }, [j]);
    }
    for (const c of this.charts) {
      const k = traceIndex(c.gd, "now");
      const ys = sh.run.runs.map((r) => seriesFor(r, c.kind, sh.info));
      if (k >= 0) {
        P.update(c.gd, { x: [ys.map((y) => Math.min(t, y.length - 1))], y: [ys.map((y) => valueAt(y, t))] },
          { shapes: [timeShape(t)] }, [k]);
      }
    }
  }

  /** Eigen-axes through the cursor (∝ |λ|; dotted where λ < 0). g = null clears them. */
  cursor(g, at) {
    const gd = this.el.contour; const sh = this.shown;
    if (!gd.data || !sh) return;
    const idx = [traceIndex(gd, "cursor-1"), traceIndex(gd, "cursor-2")];
    if (idx.some((i) => i < 0)) return;
    const d = sh.info.domain;
    const full = 0.09 * Math.min(d.x[1] - d.x[0], d.y[1] - d.y[0]);
    const ok = g && g.eigenvectors?.every((e) => e && e[0] !== null);
    const lens = ok ? arrowLengths(g.eigenvalues, full) : [0, 0];
    const xs = []; const ys = []; const dash = [];
    [0, 1].forEach((i) => {
      if (!ok || !lens[i]) { xs.push([]); ys.push([]); dash.push("solid"); return; }
      const e = g.eigenvectors[i];
      xs.push([at[0] - e[0] * lens[i], at[0] + e[0] * lens[i]]);
      ys.push([at[1] - e[1] * lens[i], at[1] + e[1] * lens[i]]);
      dash.push(g.eigenvalues[i] < 0 ? "dot" : "solid");
    });
    plotly().restyle(gd, { x: xs, y: ys, "line.dash": dash }, idx);
  }
}
