// views/networks.js — the "Networks" view: a small MLP trained on a 2D dataset by several optimizers from
// the same initial weights (POST /api/network/train/stream), with decision boundaries over training, the
// loss landscape on a plane through weight space with honestly projected paths, and λmax against 2/η.
//
// Settings live in the store's n* rows (networks-config.js); controls are in networks-controls.js,
// drawing in networks-render.js / networks-plots.js, the streamed run in networks-run.js.

import { ApiError, getJSON, isAbort, streamNDJSON } from "../api.js";
import { $, download } from "../dom.js";
import { displayNames } from "../controls/optimizers.js";
import { plotly } from "../plots/common.js";
import { effective, requestBody } from "./networks-config.js";
import { NetworkControls } from "./networks-controls.js";
import { Renderer } from "./networks-render.js";
import { addChunk, asResponse, curvesCsv, finishRun, runFromMeta } from "./networks-run.js";

const PROGRESSIVE_MS = 150; // a new run replaces the old curves once it has streamed this long
const DEBOUNCE_MS = 160; // slider drags: train once the hand rests

export function mount(section, ctx) { return new NetworksView(section, ctx); }

class NetworksView {
  constructor(root, ctx) {
    Object.assign(this, { root, ctx, store: ctx.store, hooks: ctx.hooks });
    this.net = null; // GET /api/network/datasets
    this.run = null; // the run in the curves (possibly still streaming)
    this.done = null; // the last finished run (decision boundaries and plane)
    this.want = null; // key of the last requested body
    this.abort = null;
    this.pending = 0;
    this.timer = null;
    this.auto = true;
    this.stale = false;
    this.optNames = ctx.catalog.optimizers.filter((o) => o.networks !== false).map((o) => o.name);
    this.renderer = new Renderer(root, this);
    $("#nets-train", root).addEventListener("click", () => this.train());
    const auto = $("#nets-auto", root);
    auto.addEventListener("change", () => { this.auto = auto.checked; if (this.auto) this.onState(this.store.get()); else this.renderer.schedule(); });
    this.loading = true;
    this.updateHooks();
    getJSON("/api/network/datasets").then((net) => {
      this.net = net;
      this.controls = new NetworkControls({ root, ctx, net, cfg: () => this.cfg() });
      this.store.subscribe((s) => this.onState(s));
    }).catch((err) => {
      this.ctx.ui.error(`Could not load the network catalogue: ${err.message}`);
      this.errored = true;
    }).finally(() => {
      this.loading = false;
      this.onState(this.store.get());
      this.updateHooks();
      this.renderer.schedule();
    });
  }

  cfg() { return effective(this.store.get(), this.net, this.optNames); }

  show() {
    if (this.net) this.onState(this.store.get());
    // plots drawn while the section was hidden have no size: fit them now
    requestAnimationFrame(() => {
      for (const gd of this.root.querySelectorAll(".js-plotly-plot")) if (gd.offsetParent) plotly().Plots.resize(gd);
    });
  }

  onState(s) {
    if (s.view !== "networks" || !this.net) return;
    const cfg = this.cfg();
    this.controls.render(cfg, (this.run || this.done)?.header.model);
    const key = JSON.stringify(requestBody(cfg));
    this.stale = key !== this.want && !this.auto;
    if (key !== this.want && this.auto) {
      clearTimeout(this.timer);
      if (this.want === null) this.train();
      else { this.timer = setTimeout(() => { this.timer = null; this.train(); }, DEBOUNCE_MS); }
      this.updateHooks();
    }
    this.renderer.schedule();
  }

  /** Train the current config now (the Train button, or auto after a change). */
  train() {
    clearTimeout(this.timer);
    this.timer = null;
    const cfg = this.cfg();
    const body = requestBody(cfg);
    this.want = JSON.stringify(body);
    this.stale = false;
    this.stream(body, this.want, cfg.opt);
  }

  async stream(body, key, opts) {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    this.pending += 1;
    this.updateHooks();
    this.renderer.schedule();
    const began = performance.now();
    let run = null;
    try {
      await streamNDJSON("/api/network/train/stream", body, {
        signal: ac.signal,
        onLine: (msg) => {
          if (ac !== this.abort) return;
          if (msg.type === "meta") {
            run = runFromMeta(msg, key, opts);
            run.body = body;
          } else if (msg.type === "chunk") {
            addChunk(run, msg);
            if (this.run === run || performance.now() - began > PROGRESSIVE_MS) this.run = run;
            this.renderer.schedule();
          } else if (msg.type === "done") {
            finishRun(run, msg);
            this.run = run;
            this.done = run;
            this.elapsed = performance.now() - began;
            this.renderer.schedule();
          }
        },
      });
      if (!run?.done) throw new Error("the training stream ended early");
      this.ctx.ui.clearError("api");
      this.errored = false;
      this.controls.render(this.cfg(), run.header.model);
    } catch (err) {
      if (!isAbort(err) && ac === this.abort) {
        const api = err instanceof ApiError;
        this.ctx.ui.error(api ? this.explain(err.message) : err, api ? "api" : "app");
        this.errored = true;
      }
    } finally {
      this.pending -= 1;
      if (this.abort === ac) this.abort = null;
      this.updateHooks();
      this.renderer.schedule();
    }
  }

  get streaming() { return this.pending > 0; }

  /** Both runs trained on the same data (then the old boundaries may stay while the new run streams). */
  sameData(a, b) {
    if (!a || !b) return false;
    const key = (r) => JSON.stringify([r.header.dataset.name, r.header.dataset.params]);
    return key(a) === key(b);
  }

  /** "optimizers[0].lr: …" → "GD — optimizers[0].lr: …" so the message names the card to fix. */
  explain(message) {
    const names = displayNames(this.cfg().opt);
    return message.replace(/optimizers\[(\d+)\]/g, (m, i) => (names[i] ? `${names[i]} — ${m}` : m));
  }

  /** The Paths view on an exact 2-weight surface (tiny_net, least_squares, logistic). */
  openSurface(surface) {
    this.store.update((d) => { d.view = "paths"; d.surface = surface.name; d.sp = {}; d.start = [...surface.default_start]; });
  }

  exportAs(kind) {
    const run = this.done;
    if (!run) return this.ctx.ui.toast("Nothing to export yet.");
    if (kind === "png") {
      const gd = this.cfg().plot === "3d" ? $("#nets-plane3d", this.root) : $("#nets-plane", this.root);
      return plotly().downloadImage(gd, { format: "png", filename: "losslab-network-plane", scale: 2 });
    }
    if (kind === "json") download("losslab-network.json", JSON.stringify(asResponse(run), null, 1));
    if (kind === "csv") download("losslab-network-curves.csv", curvesCsv(run, displayNames(run.opts)), "text/csv");
  }

  // ---- test hooks --------------------------------------------------------------------------
  updateHooks() {
    const h = this.hooks;
    if (this.store.get().view !== "networks") return;
    h.busy = this.loading || this.pending > 0 || this.timer !== null;
    h.lastRun = this.done ? asResponse(this.done) : null;
    h.networkBody = this.done?.body ?? null;
  }

  rendered() {
    if (this.store.get().view !== "networks") return;
    this.updateHooks();
    if (!this.hooks.busy && (this.done || this.errored || this.stale)) {
      this.hooks.version += 1;
      this.hooks.markReady();
    }
  }
}
