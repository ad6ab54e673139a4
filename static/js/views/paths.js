// views/paths.js — the "Paths" view: requests (grid, surface info, start geometry, streamed run) and
// their cancellation; drawing is in paths-render.js. A view module exports mount(section, ctx).

import { isAbort, postJSON, streamNDJSON } from "../api.js";
import { $, download, roundSig } from "../dom.js";
import { OptimizerPanel, colorOf, displayNames } from "../controls/optimizers.js";
import { ScenePanel } from "../controls/scene.js";
import { surfaceRef } from "../controls/formula.js";
import { plotly } from "../plots/common.js";
import { Readout } from "../readout.js";
import { Frames, addChunk, asResponse, finishRun, pathsCsv, runFromMeta, runFromResponse } from "../run.js";
import { Scrubber } from "../scrubber.js";
import { optimalSettings } from "../theory.js";
import { displayName, optimalNote } from "../optimizer-style.js";
import { Renderer } from "./paths-render.js";
import { StepMode } from "../teach/step.js";
import { LessonCard } from "../teach/card.js";

const GRID_N = 121;
const GRID_DRAG_N = 61; // while κ, θ, ... are dragged: a quarter of the grid to send, parse and transform
const DRAG_GAP_MS = 300; // surface changes closer than this are a drag
const REFINE_PAUSE_MS = 120; // a surface drawn coarse gets its full grid once the drag pauses this long
const PROGRESSIVE_MS = 150; // a run still streaming after this long is drawn as it arrives
const WHOLE_RUN_POINTS = 20000; // steps × optimizers up to this come whole from POST /api/run
const HOLD_MS = 1000; // a whole request younger than this is answered and drawn, not cancelled by a newer one
const MAX_FLIGHT = 2; // requests of one kind in flight at once while a slider is dragged
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

/** A small run comes whole (with its surface, when new, from POST /api/scene); a long one is streamed. */
const isWhole = (body) => body.steps * body.optimizers.length <= WHOLE_RUN_POINTS;

export function mount(section, ctx) { return new PathsView(section, ctx); }

class PathsView {
  constructor(root, ctx) {
    Object.assign(this, { root, ctx, store: ctx.store });
    this.scene = { grid: null, info: null, surfaceKey: null, point: null, pointKey: null, run: null, axes: null, axesKey: null };
    this.want = {};
    this.aborts = {};
    this.flight = {}; // kind → [{ac, hold, began}] of the requests in flight, oldest first
    this.queued = {}; // kind → the newest request waiting for a held one
    this.pending = new Set();
    this.seq = 0; // request order: a newer answer always wins
    this.frames = new Frames();
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
    // a slider released (mouse, pen, touch) ends its gesture: the figure and side charts follow its paths at once
    // (not its `change` event: a held arrow key fires one per step)
    root.addEventListener("pointerup", (ev) => { if (ev.target.type === "range") this.renderer.gesture(false); });
    this.onState(this.store.get());
  }

  // ---- state → requests ------------------------------------------------------------------
  onState(s, source) {
    if (s.view !== "paths") return;
    this.request(s); // first: the server works on the answer while the panels below are brought up to date
    this.renderer.gesture(continuous(source));
    this.scenePanel.render(s);
    this.optPanel.render(s, this.theory());
    this.teach.onState(s, source);
    this.lessonCard.render(s);
    this.renderer.schedule();
  }

  theory() { return this.scene.run?.theory || {}; }

  request(s) {
    const ref = surfaceRef(s);
    const sk = JSON.stringify(ref);
    const body = runBody(s);
    const rk = JSON.stringify(body);
    const pk = sk + JSON.stringify(s.start);
    const whole = isWhole(body);
    // a new surface comes with its start's geometry (and, for a whole run, the run) from POST /api/scene
    const viaScene = sk !== this.want.surface && !this.frames.surfaces.has(sk);
    if (sk !== this.want.surface) {
      const now = performance.now();
      this.dragging = now - (this.surfaceAt ?? -Infinity) < DRAG_GAP_MS;
      this.surfaceAt = now;
      this.aborts.refine?.abort();
      this.cancelRefine();
      this.want.surface = sk;
      if (viaScene && !whole) this.fetchSurface(body, sk, pk);
    }
    // the run first: it is what is drawn; the start's geometry only labels its eigen-axes
    if (rk !== this.want.run) { this.want.run = rk; this.fetchRun(body, rk, sk, s.opt, viaScene ? pk : null); }
    if (pk !== this.want.point) { this.want.point = pk; if (!viaScene) this.fetchPoint(ref, s.start, pk); }
    this.hooks.wantRun = rk;
    this.requestAxes(s);
  }

  /**
   * Run `task(signal)` as the live request of its kind; track it for the busy flag. A newer call cancels
   * the older ones, except for `hold` requests younger than HOLD_MS: up to MAX_FLIGHT of them run side by
   * side (the server has workers for both) and their answers are drawn (a newer answer always wins), and
   * beyond that the newest call waits for a free place. A slider dragged at 60 events/s then shows
   * intermediate values instead of cancelling every request before it can answer, and the last value's
   * request starts without waiting for a whole round trip.
   */
  exclusive(kind, task, { hold = false } = {}) {
    const flight = this.flight[kind] || [];
    const holding = hold && flight.length > 0 && flight.every((f) => f.hold) && performance.now() - flight[0].began < HOLD_MS;
    if (holding && flight.length >= MAX_FLIGHT) {
      const queued = this.queued[kind];
      if (queued) { this.pending.delete(queued.token); queued.resolve(false); }
      return new Promise((resolve) => {
        this.queued[kind] = { task, hold, resolve, token: this.track() };
        this.updateHooks();
      });
    }
    const stale = this.queued[kind];
    if (stale) { delete this.queued[kind]; this.pending.delete(stale.token); stale.resolve(false); }
    return this.launch(kind, task, hold, this.track(), holding);
  }

  track() { const token = {}; this.pending.add(token); return token; }

  /** Start `task`; `alongside`: keep the requests of this kind in flight (else they are cancelled). */
  async launch(kind, task, hold, token, alongside = false) {
    const flight = (this.flight[kind] ||= []);
    if (!alongside) for (const f of flight.splice(0)) f.ac.abort();
    const ac = new AbortController();
    const me = { ac, hold, began: performance.now() };
    flight.push(me);
    this.aborts[kind] = ac; // the newest (teach/step.js cancels "details" through it)
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
      const i = flight.indexOf(me);
      if (i >= 0) flight.splice(i, 1);
      if (flight.length) this.aborts[kind] = flight[flight.length - 1].ac; else if (this.aborts[kind] === ac) delete this.aborts[kind];
      const next = this.queued[kind];
      if (next && flight.length < MAX_FLIGHT) {
        delete this.queued[kind];
        this.launch(kind, next.task, next.hold, next.token, true).then(next.resolve);
      }
      this.renderer.schedule();
      this.updateHooks();
    }
  }

  /** Grid, surface description and start geometry of a new surface whose run is streamed beside it. */
  fetchSurface(body, key, pointKey) {
    const seq = ++this.seq;
    return this.exclusive("surface", async (signal) => {
      const res = await postJSON("/api/scene", { ...body, grid_n: GRID_N, include_run: false }, { signal });
      this.gotScene(res, key, pointKey, seq, body.start);
      this.pickFrame();
    }, { hold: true });
  }

  /** A /api/scene answer: its surface joins the frames, its start geometry becomes the scene's if still wanted. */
  gotScene(res, key, pointKey, seq, start) {
    this.frames.surface(key, { grid: res.grid, info: res.surface, seq });
    if (pointKey === this.want.point) this.setPoint(res.point, pointKey, start);
  }

  /**
   * The full grid for a surface first shown coarse (dragged), once the drag pauses: a refinement per step would
   * cost the server a full grid and the page a 121² parse and redraw between the drag's own frames. Busy meanwhile.
   */
  refineSoon(ref, key) {
    this.cancelRefine();
    const token = this.track();
    this.refineWait = { token, timer: setTimeout(() => { this.cancelRefine(); this.refine(ref, key); this.updateHooks(); }, REFINE_PAUSE_MS) };
  }

  cancelRefine() {
    if (!this.refineWait) return;
    clearTimeout(this.refineWait.timer);
    this.pending.delete(this.refineWait.token);
    this.refineWait = null;
  }

  /** The full grid for a surface shown coarse, if it is still the wanted one. */
  refine(ref, key) {
    if (key !== this.want.surface) return;
    this.exclusive("refine", async (signal) => {
      const grid = await postJSON("/api/grid", { surface: ref, n: GRID_N }, { signal });
      const f = this.frames.surfaces.get(key);
      if (f) f.grid = grid;
      if (this.scene.surfaceKey === key) this.scene.grid = grid; // the renderer's keys follow the grid's size
    });
  }

  setPoint(point, key, start) {
    Object.assign(this.scene, { point, pointKey: key });
    this.readout.setStart(point, start);
  }

  fetchPoint(ref, start, key) {
    return this.exclusive("point", async (signal) => {
      const point = await postJSON("/api/point", { surface: ref, point: start }, { signal });
      if (key === this.want.point) this.setPoint(point, key, start);
    }, { hold: true });
  }

  /**
   * A small run comes whole from POST /api/run (one parse, one draw), with its surface from POST /api/scene
   * when that is new; a long one is streamed and drawn as it arrives. `pointKey`: set when this request is
   * to bring the start's geometry (a new surface), else null.
   */
  fetchRun(body, key, surfaceKey, opts, pointKey) {
    const seq = ++this.seq;
    const tag = (run) => Object.assign(run, { key, seq, surfaceKey, opts: opts.map((o) => ({ ...o })) });
    const whole = isWhole(body);
    return this.exclusive("run", async (signal) => {
      let run = null;
      if (whole) {
        // decided at launch: a request that waited (or replaced one that was cancelled) may find its surface here
        if (this.frames.surfaces.has(surfaceKey)) {
          if (pointKey) this.fetchPoint(body.surface, body.start, pointKey); // the scene would have brought it
          run = tag(runFromResponse(await postJSON("/api/run", body, { signal })));
        } else {
          const coarse = this.dragging || this.renderer.meshShown(); // 3D: a 61² mesh at once, the full grid at the pause
          const res = await postJSON("/api/scene", { ...body, grid_n: coarse ? GRID_DRAG_N : GRID_N }, { signal });
          this.gotScene(res, surfaceKey, surfaceKey + JSON.stringify(body.start), seq, body.start);
          run = tag(runFromResponse(res.run));
          if (coarse) this.refineSoon(body.surface, surfaceKey);
        }
        this.frames.run(run);
      } else {
        const began = performance.now();
        const promote = () => { this.frames.run(run); this.pickFrame(); this.renderer.schedule(); };
        await streamNDJSON("/api/run/stream", body, {
          signal,
          onLine: (msg) => {
            if (msg.type === "meta") {
              run = tag(runFromMeta(msg, key));
            } else if (msg.type === "chunk") {
              addChunk(run, msg);
              if (this.scene.run === run || performance.now() - began > PROGRESSIVE_MS) promote();
            } else if (msg.type === "done") {
              finishRun(run, msg);
              promote();
            }
          },
        });
      }
      if (!run?.done) throw new Error("the run stream ended early");
      this.pickFrame();
      this.ctx.ui.clearError("api");
      this.errored = false;
      // the cards' stable bands follow the run's theory once its paths are on screen
      if (this.scene.run === run) this.renderer.afterDraw(() => this.optPanel.render(this.store.get(), this.theory()));
      this.requestAxes(this.store.get());
    }, { hold: whole });
  }

  /** A whole run is in flight or waiting for a place: new paths are on their way (the renderer's sync waits). */
  awaitingPaths() { return !!(this.queued.run || this.flight.run?.some((f) => f.hold)); }

  /** Show the newest run whose surface has arrived (a surface and its paths are always drawn together). */
  pickFrame() {
    const f = this.frames.pick(!this.aborts.run && !this.queued.run);
    if (!f) return;
    const changed = f.surfaceKey !== this.scene.surfaceKey;
    Object.assign(this.scene, { grid: f.grid, info: f.info, surfaceKey: f.surfaceKey, run: f.run });
    if (changed) this.scene.zKey = null;
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
  /** Set the start (rounded to the domain's scale); `transient` (while dragging) leaves the URL hash for the release. */
  moveStart(x, y, { transient = false } = {}) {
    const d = this.scene.info?.domain;
    const scale = d ? Math.max(d.x[1] - d.x[0], d.y[1] - d.y[0]) : 10;
    const digits = Math.max(0, 3 - Math.floor(Math.log10(scale)));
    const round = (v) => Number(v.toFixed(digits));
    const start = [round(x), round(y)];
    const same = String(start) === String(this.store.get().start);
    if (same && transient) return;
    this.store.update((st) => { st.start = start; }, transient ? "drag" : "ui", { hash: !transient });
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
    this.renderer.flush();
    const run = this.scene.run;
    if (kind === "png") {
      if (this.store.get().plot !== "3d") return this.renderer.png("losslab"); // two stacked figures (paths-layer.js)
      return plotly().downloadImage($("#surface3d", this.root), { format: "png", filename: "losslab", scale: 2 });
    }
    if (!run) return this.ctx.ui.toast("Nothing to export yet.");
    if (kind === "json") download("losslab-run.json", JSON.stringify(asResponse(run), null, 1));
    if (kind === "csv") download("losslab-paths.csv", pathsCsv(run, displayNames(run.opts)), "text/csv");
  }

  // ---- test hooks ----------------------------------------------------------------------------
  updateHooks() {
    const h = this.hooks;
    h.busy = this.pending.size > 0 || this.renderer.syncPending;
    h.lastRun = this.scene.run ? asResponse(this.scene.run) : null;
    h.colors = this.scene.run ? this.scene.run.opts.map(colorOf) : [];
  }

  rendered() {
    this.updateHooks();
    if (this.pending.size === 0 && this.scene.grid && !this.renderer.syncPending) {
      this.hooks.version += 1;
      this.hooks.markReady();
    }
  }
}

/**
 * Whether the state change in progress is one step of a gesture that goes on (a range slider's input, a dragged
 * start, a held arrow key): the figure and side charts then wait for the input to pause (paths-render.js SYNC_MS);
 * a click, a typed value or a release is complete, and they follow its paths at once.
 */
function continuous(source) {
  const ev = window.event;
  return source === "drag" || ev?.type === "keydown" || (ev?.type === "input" && ev.target?.type === "range");
}
