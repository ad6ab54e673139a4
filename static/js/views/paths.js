// views/paths.js — the "Paths" view: requests (grid, surface info, start geometry, streamed run) and
// their cancellation; drawing is in paths-render.js. A view module exports mount(section, ctx).

import { isAbort, postJSON, streamNDJSON } from "../api.js";
import { $, download, roundSig } from "../dom.js";
import { OptimizerPanel, colorOf, displayNames } from "../controls/optimizers.js";
import { ScenePanel } from "../controls/scene.js";
import { surfaceRef } from "../controls/formula.js";
import { plotly } from "../plots/common.js";
import { Readout } from "../readout.js";
import { addChunk, asResponse, finishRun, pathsCsv, runFromMeta } from "../run.js";
import { Scrubber } from "../scrubber.js";
import { optimalSettings } from "../theory.js";
import { displayName, optimalNote } from "../optimizer-style.js";
import { Renderer } from "./paths-render.js";
import { StepMode } from "../teach/step.js";
import { LessonCard } from "../teach/card.js";

const GRID_N = 121;
const PROGRESSIVE_MS = 150; // a run still streaming after this long is drawn as it arrives
const MAX_AXIS_POINTS = 160;

export { surfaceRef };

/** The /api/run body for a state: optimizer specs without page-only keys (colour index). */
export function runBody(s) {
  return {
    surface: surfaceRef(s), start: s.start, steps: s.steps,
    optimizers: s.opt.map(({ c, ...spec }) => spec),
    schedule: s.schedule, noise: { sigma: s.sigma, seed: s.seed },
  };
}

export function mount(section, ctx) { return new PathsView(section, ctx); }

class PathsView {
  constructor(root, ctx) {
    Object.assign(this, { root, ctx, store: ctx.store });
    this.scene = { grid: null, info: null, surfaceKey: null, point: null, pointKey: null, run: null, axes: null, axesKey: null };
    this.want = {};
    this.aborts = {};
    this.pending = new Set();
    this.hooks = ctx.hooks;
    this.scenePanel = new ScenePanel({ root, catalog: ctx.catalog, store: this.store, limits: ctx.limits });
    this.optPanel = new OptimizerPanel({
      list: $("#optimizer-list", root), addSelect: $("#add-opt-name", root), addButton: $("#add-opt", root),
      countEl: $("#opt-count", root), catalog: ctx.catalog.optimizers, store: this.store, limits: ctx.limits,
    });
    this.scrubber = new Scrubber({ range: $("#time", root), label: $("#time-label", root), play: $("#play", root),
      onTime: (t) => { this.renderer.time(t); this.teach.onTime(t); } });
    this.readout = new Readout({ el: $("#readout", root), surfaceRef: () => surfaceRef(this.store.get()),
      onGeometry: (g, at) => this.renderer.cursor(g, at) });
    this.renderer = new Renderer(root, this);
    this.teach = new StepMode(root, this, { runBody, surfaceRef }); // step-through arrows and narration
    this.lessonCard = new LessonCard(root, this.store);
    this.store.subscribe((s, source) => this.onState(s, source));
    this.onState(this.store.get());
  }

  // ---- state → requests ------------------------------------------------------------------
  onState(s, source) {
    if (s.view !== "paths") return;
    this.scenePanel.render(s);
    this.optPanel.render(s, this.theory());
    this.request(s);
    this.teach.onState(s, source);
    this.lessonCard.render(s);
    this.renderer.schedule();
  }

  theory() { return this.scene.run?.theory || {}; }

  request(s) {
    const ref = surfaceRef(s);
    const sk = JSON.stringify(ref);
    if (sk !== this.want.surface) { this.want.surface = sk; this.fetchSurface(ref, sk); }
    const pk = sk + JSON.stringify(s.start);
    if (pk !== this.want.point) { this.want.point = pk; this.fetchPoint(ref, s.start, pk); }
    const body = runBody(s);
    const rk = JSON.stringify(body);
    if (rk !== this.want.run) { this.want.run = rk; this.stream(body, rk, sk, s.opt); }
    this.requestAxes(s);
  }

  /** Run `task(signal)` as the only live request of its kind; track it for the busy flag. */
  async exclusive(kind, task) {
    this.aborts[kind]?.abort();
    const ac = new AbortController();
    this.aborts[kind] = ac;
    const token = {};
    this.pending.add(token);
    this.updateHooks();
    try {
      await task(ac.signal);
      return true;
    } catch (err) {
      if (!isAbort(err)) {
        const api = err.name === "ApiError";
        this.ctx.ui.error(api ? this.explain(err.message) : err, api ? "api" : "app");
        this.errored = true;
      }
      return false;
    } finally {
      this.pending.delete(token);
      if (this.aborts[kind] === ac) delete this.aborts[kind];
      this.renderer.schedule();
      this.updateHooks();
    }
  }

  fetchSurface(ref, key) {
    return this.exclusive("surface", async (signal) => {
      const [grid, info] = await Promise.all([
        postJSON("/api/grid", { surface: ref, n: GRID_N }, { signal }),
        postJSON("/api/surface", { surface: ref }, { signal }),
      ]);
      Object.assign(this.scene, { grid, info, surfaceKey: key, zT: null });
    });
  }

  fetchPoint(ref, start, key) {
    return this.exclusive("point", async (signal) => {
      const point = await postJSON("/api/point", { surface: ref, point: start }, { signal });
      Object.assign(this.scene, { point, pointKey: key });
      this.readout.setStart(point, start);
    });
  }

  stream(body, key, surfaceKey, opts) {
    const began = performance.now();
    return this.exclusive("run", async (signal) => {
      let run = null;
      const promote = () => { this.scene.run = run; this.renderer.schedule(); };
      await streamNDJSON("/api/run/stream", body, {
        signal,
        onLine: (msg) => {
          if (msg.type === "meta") {
            run = runFromMeta(msg, key);
            run.surfaceKey = surfaceKey;
            run.opts = opts.map((o) => ({ ...o }));
          } else if (msg.type === "chunk") {
            addChunk(run, msg);
            if (this.scene.run === run || performance.now() - began > PROGRESSIVE_MS) promote();
          } else if (msg.type === "done") {
            finishRun(run, msg);
            promote();
          }
        },
      });
      if (!run?.done) throw new Error("the run stream ended early");
      this.ctx.ui.clearError("api");
      this.errored = false;
      this.optPanel.render(this.store.get(), run.theory);
      this.requestAxes(this.store.get());
    });
  }

  /** Hessian axes at every k-th iterate: one constant Hessian for quadratics, else /api/point per point. */
  requestAxes(s) {
    const run = this.scene.run;
    const key = s.eig && run?.done ? `${run.key}|${s.eig}` : null;
    if (key === this.want.axes) return;
    this.want.axes = key;
    if (!key) { this.scene.axes = null; this.scene.axesKey = null; return; }
    const at = [];
    for (const r of run.runs) for (let t = s.eig; t < r.path.length; t += s.eig) at.push(r.path[t]);
    const points = at.filter((p) => p.every(Number.isFinite)).slice(0, MAX_AXIS_POINTS);
    const ref = surfaceRef(s);
    this.exclusive("axes", async (signal) => {
      let geoms;
      if (this.scene.info?.constant_hessian && this.scene.point) {
        geoms = points.map((p) => ({ ...this.scene.point, at: p }));
      } else {
        geoms = [];
        for (let i = 0; i < points.length; i += 8) { // small batches: at most 8 requests in flight
          const batch = points.slice(i, i + 8).map((p) => postJSON("/api/point", { surface: ref, point: p }, { signal })
            .then((g) => ({ ...g, at: p })));
          geoms.push(...(await Promise.all(batch)));
        }
      }
      Object.assign(this.scene, { axes: geoms, axesKey: key });
    });
  }

  // ---- user actions ------------------------------------------------------------------------
  moveStart(x, y) {
    const d = this.scene.info?.domain;
    const scale = d ? Math.max(d.x[1] - d.x[0], d.y[1] - d.y[0]) : 10;
    const digits = Math.max(0, 3 - Math.floor(Math.log10(scale)));
    const round = (v) => Number(v.toFixed(digits));
    this.store.update((st) => { st.start = [round(x), round(y)]; });
  }

  useOptimal() {
    const th = this.theory();
    const set = new Set(); const none = new Set();
    this.store.update((st) => st.opt.forEach((o, i) => {
      const best = optimalSettings(th, i);
      if (best) { for (const [k, v] of Object.entries(best)) o[k] = roundSig(v, 6); set.add(displayName(o.name)); }
      else none.add(displayName(o.name));
    }));
    this.ctx.ui.toast(optimalNote([...set], [...none]));
  }

  names() { return displayNames(this.store.get().opt); }

  /** "optimizers[0].lr: …" → "GD — optimizers[0].lr: …" so the message says which card to fix. */
  explain(message) {
    const names = this.names();
    return message.replace(/optimizers\[(\d+)\]/g, (m, i) => (names[i] ? `${names[i]} — ${m}` : m));
  }

  exportAs(kind) {
    const run = this.scene.run;
    if (kind === "png") {
      const gd = this.store.get().plot === "3d" ? $("#surface3d", this.root) : $("#contour", this.root);
      return plotly().downloadImage(gd, { format: "png", filename: "losslab", scale: 2 });
    }
    if (!run) return this.ctx.ui.toast("Nothing to export yet.");
    if (kind === "json") download("losslab-run.json", JSON.stringify(asResponse(run), null, 1));
    if (kind === "csv") download("losslab-paths.csv", pathsCsv(run, displayNames(run.opts)), "text/csv");
  }

  // ---- test hooks ----------------------------------------------------------------------------
  updateHooks() {
    const h = this.hooks;
    h.busy = this.pending.size > 0;
    h.lastRun = this.scene.run ? asResponse(this.scene.run) : null;
    h.colors = this.scene.run ? this.scene.run.opts.map(colorOf) : [];
  }

  rendered() {
    if (this.pending.size === 0 && this.scene.grid) {
      this.hooks.version += 1;
      this.hooks.markReady();
    }
  }
}
