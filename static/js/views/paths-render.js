// views/paths-render.js — draws the Paths view from its scene: contour (+3D), the three step charts,
// theory panel, legend and title. Plotly.react with uirevision keeps the user's zoom across re-runs.

import { $, h } from "../dom.js";
import { colorOf, displayNames } from "../controls/optimizers.js";
import { CONFIG, levelTransform, plotly } from "../plots/common.js";
import { axesSegments, contourAxes, contourFigure, liveScene, markIterates } from "../plots/contour.js";
import { LiveLayer, rememberFlat } from "../plots/live.js";
import { StartPointer } from "./paths-pointer.js";
import { SurfaceLayer } from "./paths-layer.js";
import { seriesFigure } from "../plots/series.js";
import { drawCursor, moveTime } from "./paths-marks.js";
import { renderLegend, renderTitle } from "./paths-legend.js";
import { COARSE_MESH_N, hasWebGL, keepSurfaceMesh, surfaceFigure } from "../plots/surface3d.js";
import { renderTheory } from "../theory.js";
import { plotlyReady } from "../plotly-loader.js";

const KINDS = [["loss", "#chart-loss"], ["dist", "#chart-dist"], ["lr", "#chart-lr"]];
// a double-click (Plotly also counts two quick clicks that set the start twice) resets the zoom to the domain: its
// default, "reset+autosize", would fit this figure's axes to the paths (the surface lives in the layer below)
const PATHS_CONFIG = { ...CONFIG, doubleClick: "reset", responsive: false }; // sized by the renderer, like its layer
const SYNC_MS = 250; // the Plotly figure and the side charts catch up this long after the last change

export class Renderer {
  constructor(root, view) {
    this.root = root;
    this.view = view;
    this.el = {
      plots: $("#plots", root), contour: $("#contour", root), layer: $("#contour-surface", root), s3d: $("#surface3d", root), legend: $("#legend", root),
      theory: $("#theory", root), title: $("#scene-title", root), sub: $("#scene-sub", root),
      lossUnit: $("#loss-unit", root), distTarget: $("#dist-target", root),
    };
    this.charts = KINDS.map(([kind, sel]) => ({ kind, gd: $(sel, root) }));
    this.raf = null;
    this.later = [];
    this.mode = null;
    this.live = new LiveLayer(this.el.contour);
    this.layer = new SurfaceLayer(this.el.layer, this.el.contour, {
      onError: (err) => this.view.ctx.ui.error(err),
      onDrawn: () => { if (this.liveContent === undefined) this.live.clear(); this.view.rendered(); }, // unless newer
    });
    this.pointer = new StartPointer(view, this.el.contour, this.el.plots);
    this.dirty = { main: false, side: false };
    this.syncPending = false;
    this.shown = null; // {run, names, colors, info} last drawn
    // the contour's frame depends on the div's size (equal axis scales): redraw when it changes
    let last = "";
    new ResizeObserver(() => {
      // read here, where layout is fresh: sceneState() reading it in every frame forced a layout (drags: ~2 ms each)
      this.size = { w: this.el.contour.clientWidth, h: this.el.contour.clientHeight };
      const key = `${this.size.w}x${this.size.h}`;
      if (key !== last) { last = key; this.schedule(); }
    }).observe(this.el.contour);
  }

  /** Draw at the next frame (many calls per frame coalesce into one). */
  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = null;
      const early = !window.Plotly; // first load: main.js loads Plotly after the first paint; the canvas draws meanwhile
      try { if (early) this.preview(); else this.frame(); } catch (err) { this.view.ctx.ui.error(err); }
      if (!early) this.view.rendered();
      else if (!this.waiting) this.waiting = plotlyReady.then(() => this.schedule());
      const later = this.later;
      this.later = [];
      // a task queued from a frame runs after that frame is painted
      if (later.length) setTimeout(() => later.forEach((fn) => { try { fn(); } catch (err) { this.view.ctx.ui.error(err); } }), 0);
    });
  }

  /** Run `fn` once the next frame is on screen (work that must not delay the new paths). */
  afterDraw(fn) { this.later.push(fn); this.schedule(); }

  /** Transformed z (log levels), cached per grid + flag so Plotly.react sees the same array. */
  levels(sc, log) {
    const key = `${sc.surfaceKey}|${sc.grid.x.length}|${log}`;
    if (sc.zKey !== key) {
      const lv = levelTransform(sc.grid.zmin ?? 0, sc.grid.zmax ?? 1, log);
      // one plain pass (it runs cold on the first load): Plotly's rows, and the live canvas's flat array
      const z = sc.grid.z; const ny = z.length; const nx = ny ? z[0].length : 0;
      const flat = new Float64Array(nx * ny); const zT = new Array(ny); const fwd = lv.fwd;
      for (let r = 0; r < ny; r++) {
        const row = z[r]; const out = new Array(nx);
        for (let c = 0; c < nx; c++) {
          const v = row[c] === null ? null : fwd(row[c]);
          out[c] = v; flat[r * nx + c] = v === null ? NaN : v;
        }
        zT[r] = out;
      }
      rememberFlat(zT, flat);
      sc.zT = zT;
      sc.levels = lv;
      sc.zKey = key;
    }
    return sc.levels;
  }

  /** Everything a draw needs, from the view's scene and the store. */
  sceneState() {
    const v = this.view; const sc = v.scene; const st = v.store.get();
    if (!sc.grid || !sc.info) return null;
    // log levels need a floor to measure from: surfaces without a minimum (saddles) use linear levels
    const logOk = (sc.info.minima || []).length > 0;
    const log = st.log && logOk;
    if (logOk !== this.logOk) { // DOM writes only when it changes (this runs every frame)
      this.logOk = logOk;
      const logBox = this.root.querySelector("#log-levels");
      logBox.disabled = !logOk;
      logBox.parentElement.title = logOk ? "Contour levels spaced evenly in log(f − f_min)" : "No minimum here: levels are linear";
    }
    const levels = this.levels(sc, log);
    const run = sc.run && sc.run.surfaceKey === sc.surfaceKey ? sc.run : null;
    const opts = run ? run.opts : [];
    const names = displayNames(opts); const colors = opts.map(colorOf);
    const longest = run ? Math.max(0, ...run.runs.map((r) => r.path.length - 1)) : 0;
    v.scrubber.setMax(run?.done ? longest : Math.max(longest, 0));
    const t = v.scrubber.t; const tmax = v.scrubber.max;
    const revision = `${sc.info.name}|${JSON.stringify(sc.info.domain)}`;
    const pointOk = sc.point && sc.pointKey?.startsWith(sc.surfaceKey);
    const startF = pointOk ? sc.point.f : null;
    const size = this.size || { w: this.el.contour.clientWidth, h: this.el.contour.clientHeight };
    const stepping = !!v.teach?.active;
    return { grid: sc.grid, zT: sc.zT, levels, info: sc.info, run, surfaceKey: sc.surfaceKey, point: sc.point,
      pointKey: sc.pointKey, start: st.start, startF, names, colors, t, tmax, revision, log, showscale: st.plot !== "split",
      size, plot: st.plot, eig: st.eig, stepping,
      axes: sc.axes && st.eig ? axesSegments(sc.axes, sc.info.domain) : null,
      overlay: run && stepping ? v.teach.overlay() : null, // step-through arrows (teach/step.js)
      // what the figure's structure depends on: a change here needs Plotly; anything else the live canvas draws
      shape: JSON.stringify([log, names, colors, st.plot, st.eig, stepping, size, revision]),
      content: `${sc.surfaceKey}|${sc.grid.x.length}|${run?.seq}|${run?.runs.map((r) => r.path.length).join(",")}|${st.start}|${sc.pointKey}|${t}|${tmax}` };
  }

  /**
   * The first frame, before Plotly has loaded: the live canvas draws the surface's bands, the paths, the
   * stationary points and the start in the frame Plotly will lay out (contourAxes), and the legend and title
   * fill in, so the scene is on screen at first paint; Plotly's figure replaces the canvas when it has loaded.
   */
  preview() {
    const z = this.view.scene.zKey;
    const s = this.sceneState();
    if (!s) return;
    // a surface's level transform (cold: ~20 ms) and its first raster in two frames: two shorter tasks
    if (this.view.scene.zKey !== z) { this.schedule(); return; }
    this.setMode(s.plot); // the plots' layout (contour, 3D or both) is set before the first frame, not after it
    const key = `${s.content}|${s.shape}`;
    if (key === this.previewKey) return;
    this.previewKey = key;
    const axes = s.plot !== "3d" && !s.stepping ? contourAxes(s) : null;
    if (axes) this.live.draw(liveScene(s, { keepEig: false, surface: true }), axes);
    // the legend, title and theory panel in a task of their own: short tasks keep the page answering input
    this.later.push(() => { this.chrome(s); if (s.run?.done) this.theory(s); });
  }

  theory(s) {
    const v = this.view;
    const args = [s.run, s.content, String(s.names), String(s.colors), v.scene.point];
    if (this.theoryArgs?.every((a, i) => a === args[i])) return; // shown already (the first frame's)
    this.theoryArgs = args;
    renderTheory(this.el.theory, { run: s.run, names: s.names, colors: s.colors, start: v.scene.point, onOptimal: () => v.useOptimal() });
  }

  /** The legend and the title, only when they change (a DOM rebuild costs a layout in every frame). */
  chrome(s) {
    const legendKey = `${s.surfaceKey}|${s.run?.seq}|${s.run?.runs.map((r) => `${r.status}:${r.path.length}`)}|${s.names}|${s.colors}`;
    if (legendKey !== this.legendKey) {
      this.legendKey = legendKey;
      renderLegend(this.el.legend, s.run, s.names, s.colors, this.view.scene.info);
    }
    const st = this.view.store.get();
    const titleKey = `${s.surfaceKey}|${JSON.stringify(st.sp)}`;
    if (titleKey !== this.titleKey) { this.titleKey = titleKey; renderTitle(this.el, s.info, st); }
  }

  /**
   * One frame. A change of surface, levels, optimizers, plot mode or size redraws the Plotly figure; a new
   * run or start only redraws the live canvas (plots/live.js), and the figure, side charts and theory
   * catch up once the input pauses (SYNC_MS). hooks.drawn counts the draws of new paths (bench/latency.py).
   */
  frame() {
    const began = performance.now();
    const s = this.sceneState();
    if (!s) return;
    this.shown = { run: s.run, names: s.names, colors: s.colors, info: s.info, levels: s.levels };
    this.last = s;
    const liveOk = s.plot === "2d" && !s.stepping && !s.eig && this.drawnShape === s.shape && this.el.contour.data;
    if (liveOk && s.content === this.drawnContent) {
      if (this.liveContent !== undefined && this.liveContent !== s.content) this.live.clear(); // back to what Plotly shows
      this.liveContent = undefined;
      this.dirty.main = false;
    } else if (liveOk) {
      if (s.content !== this.liveContent) {
        const keepEig = `${s.start}|${s.pointKey}` === this.drawnStart;
        const fresh = s.surfaceKey !== this.drawnSurface; // a new surface: the canvas draws its contours too
        this.live.draw(liveScene(s, { keepEig, surface: fresh }));
        this.liveContent = s.content;
        this.markDrawn(s.run, true, began);
      }
      this.dirty.main = true;
    } else if (s.plot === "3d" && s.shape === this.drawnShape && s.content === this.drawnContent) {
      this.dirty.main = false; // 3D shows this already: a frame of the gl scene costs 0.1-0.4 s in software GL
    } else if (!this.el.contour.data && this.previewKey && s.plot === "2d" && !s.stepping) {
      // Plotly has loaded and the canvas shows the scene: the step charts (still empty) first, then the figure,
      // each in a task of its own (sync, at once)
      this.dirty.main = true;
      this.firstSync = true;
    } else {
      this.drawMain(s);
      this.markDrawn(s.run, false, began);
    }
    if (s.content !== this.sideContent || s.shape !== this.sideShape) this.dirty.side = true;
    this.chrome(s);
    if (this.dirty.main || this.dirty.side || this.coarse3d) this.syncSoon(this.firstSync || this.settleNow ? 0 : SYNC_MS);
  }

  /** The change in progress: part of a gesture that goes on (sync when the input pauses) or complete (at once). */
  gesture(continuous) {
    this.settleNow = !continuous;
    if (this.settleNow && this.syncTimer) this.syncSoon(0); // a sync already waits for the pause: now
  }

  /** The full Plotly figure (contour, and 3D when shown); `settled`: drawn by the sync (the input paused). */
  drawMain(s, settled = false) {
    if (s.shape !== this.drawnShape) this.cursor(null); // a new frame (size, mode, ...): the hover draws it again
    this.setMode(s.plot);
    if (s.plot !== "3d" || !this.drawnContour) {
      const fig = contourFigure(s);
      plotly().react(this.el.contour, fig.data, fig.layout, PATHS_CONFIG);
      markIterates(this.el.contour); // before this frame paints (later redraws: plotly_afterplot)
      this.drawnContour = true;
      this.attach();
      if (!this.live.warmed) this.live.warm({ grid: s.grid, zT: s.zT, levels: s.levels });
    }
    if (s.plot !== "2d") this.draw3d(s, settled); else this.coarse3d = false;
    // a new surface layer comes in a task of its own (two shorter tasks): the live canvas stays up until then
    if (s.plot === "3d" || !this.layer.soon(s)) this.live.clear();
    this.liveContent = undefined;
    this.drawnShape = s.shape; this.drawnContent = s.content; this.drawnSurface = s.surfaceKey;
    this.drawnStart = `${s.start}|${s.pointKey}`;
    this.dirty.main = false;
  }

  /** Draws pending: the sync (side charts, figure) or the surface layer (the page's busy flag reads this). */
  get syncPending() { return this.syncing || this.layer.pending; }
  set syncPending(v) { this.syncing = v; }

  /** The 2D figure as one PNG: the surface layer under the paths' figure. */
  png(filename) { this.flush(); return this.layer.png(filename); }

  /** The three step charts and the theory panel, one task each (short tasks keep the page answering input). */
  sideSteps(s) {
    const chart = (c) => () => {
      const fig = seriesFigure(c.kind, { run: s.run, info: s.info, names: s.names, colors: s.colors, t: s.t,
        revision: `${s.revision}|${s.run?.steps}` });
      plotly().react(c.gd, fig.data, fig.layout, { ...CONFIG, displayModeBar: false });
    };
    return [() => this.theory(s), ...this.charts.map(chart), () => { this.sideContent = s.content; this.sideShape = s.shape; this.dirty.side = false; }];
  }

  /** Bring the figure and the side charts up to date SYNC_MS after the last change (restarted by each change). */
  syncSoon(ms = SYNC_MS) {
    this.view.hooks.syncMs = ms; // how long the last scheduled sync waits (tests: 0 after a complete gesture)
    clearTimeout(this.syncTimer);
    const token = {};
    this.syncToken = token;
    this.syncPending = true;
    this.syncTimer = setTimeout(() => requestAnimationFrame(() => this.sync(token)), ms);
  }

  /** The Plotly figure first, then each side chart in its own task; a newer change cancels the rest. */
  sync(token, now = false) {
    this.syncTimer = null;
    // new paths answered and not drawn yet, or on their way: they come first (the figure's ~150 ms must not
    // land between the last input and its paths), the sync after them
    const fresh = this.view.scene.run && this.view.scene.run !== this.shown?.run;
    if (!now && (fresh || this.view.awaitingPaths())) { this.syncSoon(); return; }
    let steps = [];
    try {
      const s = this.sceneState();
      if (s) {
        this.last = s;
        const main = this.dirty.main || s.shape !== this.drawnShape || s.content !== this.drawnContent;
        if (main && !this.firstSync) this.drawMain(s, true);
        else if (this.coarse3d) this.draw3d(s, true); // sharpen the 3D mesh
        if (this.dirty.side || s.content !== this.sideContent || s.shape !== this.sideShape) steps = this.sideSteps(s);
        if (main && this.firstSync) { // the first load: the figure after the step charts (frame says why)
          steps.splice(Math.max(0, steps.length - 1), 0, () => {
            this.firstSync = false;
            const began = performance.now();
            this.drawMain(s, true);
            this.markDrawn(s.run, false, began);
          });
        }
      }
    } catch (err) { this.view.ctx.ui.error(err); }
    const done = () => { this.syncPending = false; this.settleNow = false; this.view.rendered(); };
    const next = () => {
      if (token !== this.syncToken) return; // a newer change: its own sync follows
      const step = steps.shift();
      if (!step) { done(); return; }
      try { step(); } catch (err) { this.view.ctx.ui.error(err); }
      if (now) next(); else setTimeout(next, 0);
    };
    next();
  }

  /** Draw now what is pending (before something reads the Plotly figure, e.g. the scrubber or an export). */
  flush() {
    if (this.syncing) { clearTimeout(this.syncTimer); this.syncToken = {}; this.sync(this.syncToken, true); }
    if (this.layer.pending) this.layer.draw();
  }

  markDrawn(run, live, began) {
    const d = this.view.hooks.drawn;
    d.count += 1; d.at = performance.now(); d.live = live; d.ms = d.at - began;
    d.runKey = run?.key ?? null; d.done = !!run?.done; d.surfaceKey = this.view.scene.surfaceKey;
  }

  /**
   * The 3D figure. A new surface is first built from every other grid vertex (about a quarter of the work of
   * Plotly's mesh and contour-line build, 60-250 ms at 121² in software GL), so it follows κ, θ, ... at once;
   * the sync sharpens it to the full grid once the input pauses. Path-only changes keep the mesh (keepSurfaceMesh).
   */
  draw3d(s, settled = false) {
    if (!hasWebGL()) {
      this.el.s3d.replaceChildren(h("p", { class: "no-webgl" }, "3D needs WebGL, which this browser does not offer."));
      return;
    }
    const built = this.meshBuilt(); // the first build goes straight to the full grid
    const coarse = !settled && built && s.grid.x.length > COARSE_MESH_N && (s.surfaceKey !== this.surface3d || this.coarse3d);
    // WebGL at the screen's pixel ratio (Plotly's default renders at 2×: four times the pixels to fill in software GL)
    const pixelRatio = Math.max(1, window.devicePixelRatio || 1);
    const fig = surfaceFigure(s, { coarse });
    this.levels3d = fig.levels;
    this.surface3d = s.surfaceKey;
    this.coarse3d = fig.coarse;
    plotly().react(this.el.s3d, fig.data, fig.layout, { ...CONFIG, plotGlPixelRatio: pixelRatio });
    keepSurfaceMesh(this.el.s3d); // a path-only change then leaves the surface mesh alone (plots/surface3d.js)
  }

  /** A 3D surface is built and shown: a new surface's grid can come coarse first (views/paths.js fetchRun). */
  meshShown() { return this.mode !== "2d" && this.meshBuilt(); }

  meshBuilt() { return !!this.el.s3d._fullLayout?.scene?._scene; }

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
    gd.on("plotly_afterplot", () => markIterates(gd)); // a zoom, a theme switch, a restyle: the dots again
    // a zoom or pan moves the axes under the live canvas: draw it again
    gd.on("plotly_relayout", () => {
      this.layer.follow();
      this.cursor(null); // drawn for the old axes: the next hover answer draws it again
      if (this.live.active) { this.liveContent = null; this.schedule(); }
    });
    gd.on("plotly_relayouting", () => this.layer.follow());
    // step-through mode: a click focuses the plot for the arrow keys (StartPointer.click ignores it)
    gd.on("plotly_click", (ev) => this.pointer.click(ev));
    this.view.readout.attach(gd);
  }

  /** Move the "now" markers and the time hairlines without rebuilding any figure (views/paths-marks.js). */
  time(t) { moveTime(this, t); }

  /** Eigen-axes through the cursor (∝ |λ|; dotted where λ < 0). g = null clears them. */
  cursor(g, at) { drawCursor(this, g, at); }
}
