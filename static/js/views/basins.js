// views/basins.js — the "Basins" view: for up to four optimizers of the shared store (with their
// hyperparameters, the scene's schedule and noise) one POST /api/basins each, drawn side by side as
// basin maps (a categorical colour per minimum, neutral shades for diverged / not converged) under the
// surface's contour lines with the minima marked. Clicking a pixel (or Enter on the keyboard cursor)
// sets that start in the store and switches to Paths, which runs it.

import { download, roundSig } from "../dom.js";
import { CONFIG, INK, levelTransform, plotly } from "../plots/common.js";
import {
  $, MAX_BASIN_PANELS, Requests, apiLimits, clickedCell, colorOf, csv, displayNames, fmt, gridKeys, h, hparamText,
  panelLayout, sceneText, setStatus, setting, specOf, surfaceRef,
} from "./analysis-common.js";

// Paul Tol's "light" scheme: colourblind-safe fills that keep dark contour lines readable on top
export const REGION = ["#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00"];
export const DIVERGED = "#8b909a";
export const STUCK = "#e6e3dc"; // not converged within the tolerance
const GRID_N = 81;

/** label → colour index of the discrete colour scale: 0 diverged, 1 not converged, 2 + k minimum k. */
const colorIndex = (label) => (label === -1 ? 0 : label === -2 ? 1 : 2 + (label % REGION.length));
/** A minimum's star: its region's hue, 28 % of the way to ink, so it stands out on its own basin. */
export function starColor(k) {
  const c = parseInt(REGION[k % REGION.length].slice(1), 16);
  const mix = (v, ink) => Math.round(v + (ink - v) * 0.28);
  const rgb = [mix((c >> 16) & 255, 29), mix((c >> 8) & 255, 36), mix(c & 255, 51)];
  return `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}
export const labelColor = (label) => (label === -1 ? DIVERGED : label === -2 ? STUCK : REGION[label % REGION.length]);

function discreteScale() {
  const cols = [DIVERGED, STUCK, ...REGION];
  const k = cols.length;
  return cols.flatMap((c, i) => [[i / k, c], [(i + 1) / k, c]]);
}

/** Which store optimizers get a map: the bits of `bopt` (at most four), else the first four. */
export function selected(s) {
  const n = s.opt.length;
  const bits = s.bopt;
  const picked = [];
  if (bits) for (let i = 0; i < n && picked.length < MAX_BASIN_PANELS; i++) if (bits & (1 << i)) picked.push(i);
  return picked.length ? picked : [...Array(Math.min(n, MAX_BASIN_PANELS)).keys()];
}

export function mount(section, ctx) { return new BasinsView(section, ctx); }

const MANY_MINIMA = "himmelblau"; // the surface Basins opens on when the current one has a single minimum

class BasinsView {
  constructor(root, ctx) {
    Object.assign(this, { root, ctx, store: ctx.store });
    this.limits = apiLimits(ctx.limits);
    this.req = new Requests("basins", ctx, () => this.schedule());
    this.panels = new Map(); // opt index → {el, gd, ...}
    this.el = {
      sub: $("#basins-sub", root), n: $("#basins-n", root), steps: $("#basins-steps", root), chips: $("#basins-opts", root),
      tol: $("#basins-tol", root),
      status: $("#basins-status", root), panels: $("#basins-panels", root), legend: $("#basins-legend", root),
    };
    this.el.n.max = this.limits.basinN;
    this.el.steps.max = this.limits.steps;
    const intInput = (el, key, lo, hi) => el.addEventListener("change", () => {
      const v = Math.round(Number(el.value));
      if (el.value.trim() !== "" && Number.isFinite(v)) this.store.update((d) => { d[key] = Math.max(lo, Math.min(hi(), v)); });
    });
    intInput(this.el.n, "bn", 2, () => this.limits.basinN);
    intInput(this.el.steps, "bsteps", 1, () => this.maxSteps(setting(this.store.get(), "bn")));
    this.el.tol.addEventListener("change", () => this.store.update((d) => { d.btol = Number(this.el.tol.value); }));
    root.querySelector("[data-goto=paths]")?.addEventListener("click", (ev) => {
      ev.preventDefault();
      this.store.update((d) => { d.view = "paths"; });
    });
    this.store.subscribe((s) => this.onState(s));
  }

  show() {
    if (!this.shown) this.openOnManyMinima();
    this.shown = true;
    this.onState(this.store.get());
  }

  /**
   * A basin map of a one-minimum surface is one colour: when the user comes here from another view
   * (not from a link, which must reproduce its scene), open on a surface with several minima.
   */
  openOnManyMinima() {
    const s = this.store.get();
    const info = this.ctx.catalog.surfaces.find((x) => x.name === s.surface);
    const target = this.ctx.catalog.surfaces.find((x) => x.name === MANY_MINIMA);
    if (!this.ctx.hooks.isReady || !info || !target || info.name === "custom" || (info.minima || []).length > 1) return;
    this.store.update((d) => { d.surface = target.name; d.sp = {}; d.start = [...target.default_start]; });
    this.ctx.ui.toast(`${info.title} has a single basin: showing ${target.title}'s ${target.minima.length} minima instead.`);
  }

  /** Largest steps the server's work bound (n² × steps) allows for this n. */
  maxSteps(n) { return Math.max(1, Math.min(this.limits.steps, Math.floor(this.limits.work / (n * n)))); }

  onState(s) {
    if (s.view !== "basins") return;
    this.schedule();
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = null;
      if (this.store.get().view !== "basins") return;
      try { this.render(this.store.get()); } catch (err) { this.ctx.ui.error(err); }
      this.req.rendered();
    });
  }

  /** Wanted requests for the state: the surface grid (contour lines) plus one basin map per picked optimizer. */
  wants(s) {
    const n = setting(s, "bn");
    const steps = Math.min(setting(s, "bsteps"), this.maxSteps(n));
    const picks = selected(s);
    const bodies = picks.map((i) => ({
      surface: surfaceRef(s), optimizer: specOf(s.opt[i]), steps, n,
      schedule: s.schedule, noise: { sigma: s.sigma, seed: s.seed }, tol: setting(s, "btol"),
    }));
    return { n, steps, picks, bodies, capped: steps < setting(s, "bsteps") };
  }

  render(s) {
    const w = this.wants(s);
    const names = displayNames(s.opt);
    this.req.labels = Object.fromEntries(w.picks.map((i) => [`b${i}`, `${names[i]} basins`]));
    this.req.keepOnly([...w.picks.map((i) => `b${i}`), "grid"]);
    const grid = this.req.want("grid", "/api/grid", { surface: surfaceRef(s), n: GRID_N });
    const results = w.picks.map((i, k) => this.req.want(`b${i}`, "/api/basins", w.bodies[k]));
    const info = this.ctx.catalog.surfaces.find((x) => x.name === s.surface);

    this.controls(s, w, names);
    const surfaceKey = JSON.stringify(surfaceRef(s));
    if (grid && this.levelsKey !== surfaceKey) {
      this.levelsKey = surfaceKey;
      const lv = levelTransform(grid.zmin ?? 0, grid.zmax ?? 1, (info?.minima || []).length > 0);
      this.lines = { x: grid.x, y: grid.y, z: grid.z.map((r) => r.map((v) => lv.fwd(v))), lo: lv.lo, hi: lv.hi };
    } else if (!grid) {
      this.lines = this.levelsKey === surfaceKey ? this.lines : null;
    }

    // panels: reuse the DOM of an optimizer index that stays, drop the others
    for (const [i, p] of this.panels) if (!w.picks.includes(i)) { plotly().purge(p.gd); p.el.remove(); this.panels.delete(i); }
    w.picks.forEach((i, k) => {
      const p = this.panels.get(i) || this.makePanel(i);
      // keep the order of the picks without moving nodes needlessly (a move would drop keyboard focus)
      if (this.el.panels.children[k] !== p.el) this.el.panels.insertBefore(p.el, this.el.panels.children[k] || null);
      this.drawPanel(p, s, i, names[i], results[k], w.bodies[k]);
    });
    this.el.panels.dataset.count = String(w.picks.length);
    this.legend(info, results.find(Boolean));
    this.status(w, results, names);
  }

  controls(s, w, names) {
    const e = this.el;
    if (document.activeElement !== e.n) e.n.value = w.n;
    if (document.activeElement !== e.steps) e.steps.value = w.steps;
    e.tol.value = String(setting(s, "btol"));
    if (e.tol.value !== String(setting(s, "btol"))) e.tol.append(h("option", { value: String(setting(s, "btol")), selected: true }, fmt(setting(s, "btol"))));
    e.steps.max = this.maxSteps(w.n);
    const info = this.ctx.catalog.surfaces.find((x) => x.name === s.surface);
    const extra = sceneText(s);
    e.sub.textContent = `${info?.title || s.surface} · ${w.n} × ${w.n} starts · ${w.steps} steps each${extra ? ` · ${extra}` : ""}`;
    const sig = s.opt.map((o, i) => `${o.name}:${colorOf(o, i, s.opt)}:${names[i]}:${w.picks.includes(i)}`).join("|");
    if (sig === this.chipSig) return;
    this.chipSig = sig;
    e.chips.replaceChildren(...s.opt.map((o, i) => {
      const on = w.picks.includes(i);
      const b = h("button", { type: "button", class: "an-chip", "aria-pressed": String(on), style: `--c:${colorOf(o, i, s.opt)}`,
        "data-testid": "basins-chip", title: `${names[i]}: ${hparamText(o)}` },
      h("span", { class: "swatch", "aria-hidden": "true" }), names[i]);
      b.addEventListener("click", () => this.toggle(i));
      return b;
    }));
  }

  toggle(i) {
    const s = this.store.get();
    const picks = selected(s);
    let next;
    if (picks.includes(i)) {
      if (picks.length === 1) return this.ctx.ui.toast("At least one map stays on.");
      next = picks.filter((k) => k !== i);
    } else {
      if (picks.length >= MAX_BASIN_PANELS) return this.ctx.ui.toast("Up to four maps side by side: switch one off first.");
      next = [...picks, i];
    }
    this.store.update((d) => { d.bopt = next.reduce((m, k) => m | (1 << k), 0); });
  }

  makePanel(i) {
    // role application: a screen reader passes the arrow keys through to the map's cursor
    const gd = h("div", { class: "an-plot an-plot-square", tabindex: "0", role: "application", "aria-roledescription": "basin map",
      "data-testid": "basin-map" });
    const caption = h("figcaption", { class: "an-caption" });
    const bar = h("div", { class: "an-bar", "aria-hidden": "true" });
    const counts = h("p", { class: "an-counts", "data-testid": "basin-counts", "aria-live": "polite" });
    const overlay = h("div", { class: "an-overlay", "aria-hidden": "true" }, h("span", { class: "an-spinner" }), "computing…");
    const el = h("figure", { class: "an-panel", "data-testid": "basin-panel" }, caption, h("div", { class: "an-plot-wrap" }, gd, overlay), bar, counts);
    const p = { i, el, gd, caption, bar, counts, overlay, result: null, drawn: null };
    p.cursor = gridKeys(gd, {
      size: () => (p.result ? [p.result.x.length, p.result.y.length] : null),
      onMove: (ci, cj) => this.moveCursor(p, ci, cj),
      onPick: (ci, cj) => this.pick(p, ci, cj),
    });
    this.panels.set(i, p);
    return p;
  }

  drawPanel(p, s, i, name, result, body) {
    const color = colorOf(s.opt[i], i, s.opt);
    p.el.style.setProperty("--c", color);
    p.el.dataset.opt = String(i);
    p.caption.replaceChildren(h("span", { class: "swatch", "aria-hidden": "true" }), h("b", {}, name),
      h("span", { class: "an-hp" }, hparamText(s.opt[i])));
    const live = this.req.isLive(`b${i}`);
    p.overlay.hidden = !live;
    p.el.dataset.state = live ? "computing" : result ? "done" : this.req.hasFailed(`b${i}`, body) ? "error" : "idle";
    if (!result) { if (!p.result) p.counts.textContent = live ? "computing…" : "—"; return; }
    p.result = result;
    p.gd.setAttribute("aria-label", `Basin map of ${name}: ${this.summary(result)}. Arrow keys move a cursor; Enter runs that start in Paths.`);
    const key = `${JSON.stringify(body)}|${this.levelsKey}|${!!this.lines}|${s.start}`;
    if (p.drawn !== key) {
      p.drawn = key;
      const fig = this.figure(result, s);
      plotly().react(p.gd, fig.data, fig.layout, { ...CONFIG, displayModeBar: false });
      if (!p.wired) {
        p.wired = true;
        p.gd.on("plotly_click", (ev) => { const c = clickedCell(ev, "basin", p.result?.x, p.result?.y); if (c) this.pick(p, c[0], c[1]); });
      }
    }
    this.countsBar(p, result);
  }

  figure(r, s) {
    const info = this.ctx.catalog.surfaces.find((x) => x.name === s.surface) || {};
    const dx = (r.x[r.x.length - 1] - r.x[0]) / (r.x.length - 1); const dy = (r.y[r.y.length - 1] - r.y[0]) / (r.y.length - 1);
    if (!r._z) {
      // cached on the response: the same arrays let Plotly.react skip work; text is the hover line
      r._z = r.label.map((row) => row.map(colorIndex));
      r._text = r.label.map((row, i) => row.map((l, j) => {
        if (l === -1) return "diverged";
        if (l === -2) return "not converged";
        const m = r.minima[l]; const t = r.steps_to_converge[i][j];
        return `→ minimum ${l + 1} (${fmt(m.x, 3)}, ${fmt(m.y, 3)})${t === null ? "" : ` in ${t} steps`}`;
      }));
    }
    const data = [{
      type: "heatmap", uid: "basin", x: r.x, y: r.y, z: r._z, text: r._text, zmin: -0.5, zmax: REGION.length + 1.5,
      colorscale: discreteScale(), showscale: false, zsmooth: false, opacity: 0.82, // stars in full colour stand out
      hovertemplate: "start (%{x:.3g}, %{y:.3g})<br>%{text}<extra></extra>",
    }];
    if (this.lines) {
      const L = this.lines;
      data.push({ type: "contour", uid: "levels", x: L.x, y: L.y, z: L.z, autocontour: false, showscale: false, hoverinfo: "skip",
        contours: { start: L.lo, end: L.hi, size: (L.hi - L.lo) / 16, coloring: "none" },
        line: { color: "rgba(29,36,51,0.36)", width: 0.8, smoothing: 0.85 } });
    }
    const many = r.minima.length > 24;
    // a white halo under each star keeps it visible on its own region's colour
    data.push({ type: "scatter", mode: "markers", uid: "minima-halo", x: r.minima.map((m) => m.x), y: r.minima.map((m) => m.y),
      hoverinfo: "skip", marker: { symbol: "star", size: many ? 10 : 21, color: "rgba(255,255,255,0.95)", line: { width: 0 } } });
    data.push({ type: "scatter", mode: "markers", uid: "minima", x: r.minima.map((m) => m.x), y: r.minima.map((m) => m.y),
      customdata: r.minima.map((_, k) => k + 1), hovertemplate: "minimum %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
      marker: { symbol: "star", size: many ? 7 : 15, color: r.minima.map((_, k) => starColor(k)),
        line: { color: INK, width: many ? 0.8 : 1.3 } } });
    if (info.saddles?.length && info.saddles.length <= 40) {
      data.push({ type: "scatter", mode: "markers", uid: "saddles", x: info.saddles.map((m) => m.x), y: info.saddles.map((m) => m.y),
        hoverinfo: "skip", marker: { symbol: "x-thin-open", size: 9, color: INK, line: { color: INK, width: 1.6 } } });
    }
    data.push({ type: "scatter", mode: "markers", uid: "start", x: [s.start[0]], y: [s.start[1]],
      hovertemplate: "current start (%{x:.4g}, %{y:.4g})<extra></extra>",
      marker: { size: 10, color: "#ffffff", line: { color: INK, width: 2 } } });
    data.push({ type: "scatter", mode: "markers", uid: "cursor", x: [], y: [], hoverinfo: "skip",
      marker: { symbol: "square-open", size: 14, color: INK, line: { width: 2.2, color: INK } } });
    const layout = panelLayout({ revision: `${s.surface}|${r.n}`, margin: { l: 30, r: 4, t: 4, b: 22 } });
    layout.xaxis = { ...layout.xaxis, range: [r.x[0] - dx / 2, r.x[r.x.length - 1] + dx / 2], constrain: "domain" };
    layout.yaxis = { ...layout.yaxis, range: [r.y[0] - dy / 2, r.y[r.y.length - 1] + dy / 2], scaleanchor: "x", scaleratio: 1, constrain: "domain" };
    return { data, layout };
  }

  summary(r) {
    const total = r.x.length * r.y.length;
    const c = r.counts;
    const pct = (k) => `${fmt((100 * (c[k] || 0)) / total, 2)} %`;
    const reached = r.minima.filter((_, k) => (c[String(k)] || 0) > 0).length;
    return `${reached} / ${r.minima.length} minima reached · ${pct("-1")} diverged · ${pct("-2")} not converged`;
  }

  /** A stacked bar of the share of starts per label, and the same in words. */
  countsBar(p, r) {
    const total = r.x.length * r.y.length;
    const keys = [...r.minima.map((_, k) => k), -2, -1];
    p.bar.replaceChildren(...keys.filter((k) => (r.counts[String(k)] || 0) > 0).map((k) => h("span", {
      class: "an-bar-seg", style: `flex-grow:${r.counts[String(k)]};background:${labelColor(k)}`,
      title: `${k === -1 ? "diverged" : k === -2 ? "not converged" : `minimum ${k + 1}`}: ${r.counts[String(k)]} starts`,
    })));
    const steps = r.steps_to_converge.flat().filter((t) => t !== null).sort((a, b) => a - b);
    const median = steps.length ? steps[Math.floor(steps.length / 2)] : null;
    p.counts.textContent = `${this.summary(r)}${median === null ? "" : ` · median ${median} steps to converge`}`;
  }

  moveCursor(p, i, j) {
    if (!p.gd.data) return;
    const k = p.gd.data.findIndex((t) => t.uid === "cursor");
    if (k < 0) return;
    const on = i !== null && p.result;
    plotly().restyle(p.gd, { x: [on ? [p.result.x[j]] : []], y: [on ? [p.result.y[i]] : []] }, [k]);
    if (on) {
      const label = p.result.label[i][j];
      const what = label === -1 ? "diverges" : label === -2 ? "does not converge" : `reaches minimum ${label + 1}`;
      p.counts.textContent = `start (${fmt(p.result.x[j], 3)}, ${fmt(p.result.y[i], 3)}) ${what} — Enter runs it in Paths`;
    } else {
      this.countsBar(p, p.result);
    }
  }

  pick(p, i, j) {
    if (!p.result) return;
    const x = roundSig(p.result.x[j], 6); const y = roundSig(p.result.y[i], 6);
    this.store.update((d) => { d.start = [x, y]; d.view = "paths"; });
    this.ctx.ui.toast(`Start (${fmt(x, 4)}, ${fmt(y, 4)}) — running it in Paths.`);
  }

  legend(info, r) {
    const item = (color, text, cls = "") => h("li", { class: `an-key ${cls}` }, h("span", { class: "an-key-sw", style: `background:${color}`, "aria-hidden": "true" }), text);
    const minima = r?.minima || info?.minima || [];
    const items = minima.length > REGION.length
      ? [h("li", { class: "an-key" }, `${minima.length} minima: colours repeat every ${REGION.length}`)]
      : minima.map((m, k) => item(REGION[k], `★ minimum ${k + 1} (${fmt(m.x, 3)}, ${fmt(m.y, 3)})`));
    if (!minima.length) items.push(h("li", { class: "an-key" }, "this surface lists no minima: every start is diverged or not converged"));
    items.push(item(STUCK, "not converged (|∇f| ≥ tol or far from every minimum)"), item(DIVERGED, "diverged"),
      h("li", { class: "an-key" }, h("span", { class: "an-key-start", "aria-hidden": "true" }), "current start"));
    this.el.legend.replaceChildren(...items);
  }

  status(w, results, names) {
    const total = w.picks.length;
    const done = results.filter(Boolean).length;
    const live = w.picks.filter((i) => this.req.isLive(`b${i}`)).length;
    const failed = w.picks.filter((i, k) => this.req.hasFailed(`b${i}`, w.bodies[k])).map((i) => names[i]);
    const cap = w.capped ? ` Steps capped at ${w.steps}: n² × steps stays within the server's ${fmt(this.limits.work)} start-steps.` : "";
    if (live) {
      setStatus(this.el.status, { busy: true, done, total, text: `Computing ${w.n * w.n} starts × ${w.steps} steps for ${total} optimizer${total > 1 ? "s" : ""} — ${done} / ${total} done…` });
    } else if (failed.length) {
      setStatus(this.el.status, { error: true, text: `The server refused the map of ${failed.join(", ")} (see the message above).${cap}` });
    } else {
      setStatus(this.el.status, { text: `${total} map${total > 1 ? "s" : ""} · ${w.n * w.n} starts each · converged means |∇f| < ${fmt(setting(this.store.get(), "btol"))} within ${fmt(results.find(Boolean)?.radius ?? 0, 2)} of a minimum.${cap}` });
    }
  }

  exportAs(kind) {
    const picks = [...this.panels.values()].filter((p) => p.result);
    if (!picks.length) return this.ctx.ui.toast("Nothing to export yet.");
    const names = displayNames(this.store.get().opt);
    if (kind === "png") {
      return picks.reduce((chain, p) => chain.then(() => plotly().downloadImage(p.gd,
        { format: "png", filename: `losslab-basins-${names[p.i]}`, scale: 2 })), Promise.resolve());
    }
    if (kind === "json") {
      return download("losslab-basins.json", JSON.stringify(picks.map((p) => {
        const { _z, _text, ...r } = p.result;
        return r;
      }), null, 1));
    }
    const r0 = picks[0].result;
    const rows = [];
    r0.y.forEach((y, i) => r0.x.forEach((x, j) => rows.push([x, y, ...picks.flatMap((p) => [p.result.label[i][j], p.result.steps_to_converge[i][j]])])));
    return download("losslab-basins.csv", csv(["x", "y", ...picks.flatMap((p) => [`label_${names[p.i]}`, `steps_${names[p.i]}`])], rows), "text/csv");
  }
}
