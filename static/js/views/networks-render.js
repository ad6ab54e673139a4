// views/networks-render.js — draws the Networks view: legend and progress, data + decision boundaries
// with the snapshot slider, the plane (contour / 3D) with its direction info and the trust indicator
// (explained variance and residuals per path, in words), and the loss / accuracy / sharpness charts.

import { $, fmt, h } from "../dom.js";
import { colorOf, displayNames } from "../controls/optimizers.js";
import { CONFIG, plotly } from "../plots/common.js";
import { hasWebGL } from "../plots/surface3d.js";
import { pct } from "./networks-config.js";
import { curvesFigure, decisionFigure, plane3dFigure, planeFigure, sharpnessFigure } from "./networks-plots.js";
import { decisionFrames, inPlaneExtent, probAt, residualStats } from "./networks-run.js";

const SMALL = { ...CONFIG, displayModeBar: false };
const EXACT = ["tiny_net", "least_squares", "logistic"];

/** Verdict on a path's explained variance (how far to trust the picture of it). */
export function verdict(ev) {
  if (ev === null || ev === undefined) return { cls: "unknown", text: "no variance (a still path)" };
  if (ev >= 0.9) return { cls: "good", text: "faithful" };
  if (ev >= 0.5) return { cls: "partial", text: "partial" };
  return { cls: "poor", text: "mostly off the plane" };
}

/** "the plane shows 93 % of this path's variance; the path leaves the plane by up to 0.41 (mean 0.12) …" */
export function trustSentence(path, norms) {
  const { max, mean } = residualStats(path);
  const extent = inPlaneExtent(path, norms);
  const ev = path.explained_variance;
  const shows = ev === null ? "the path does not move" : `the plane shows ${pct(ev)} of this path's variance`;
  const leaves = max === null ? "" : `; the path leaves the plane by up to ${fmt(max, 2)} (mean ${fmt(mean, 2)})`;
  return `${shows}${leaves}, while it moves ${fmt(extent, 2)} within it.`;
}

export class Renderer {
  constructor(root, view) {
    this.root = root;
    this.view = view;
    this.el = Object.fromEntries(Object.entries({
      legend: "#nets-legend", status: "#nets-status", bar: "#nets-progress-bar", train: "#nets-train",
      decision: "#nets-decision", title: "#h-nets-decision", chips: "#nets-boundary-of", snap: "#nets-snap-range", snapLabel: "#nets-snap-label",
      snapPlay: "#nets-snap-play", snapRow: "#nets-snap", key: "#nets-decision-key", plane: "#nets-plane",
      plane3d: "#nets-plane3d", directions: "#nets-directions", trust: "#nets-trust", loss: "#nets-chart-loss",
      acc: "#nets-chart-acc", sharp: "#nets-chart-sharp", sharpNote: "#nets-sharp-note", exact: "#nets-exact",
    }).map(([k, sel]) => [k, $(sel, root)]));
    this.drawn = {};
    this.raf = null;
    this.frame = 0;
    this.follow = true; // the snapshot slider sits at the final step until the user moves it
    this.selected = 0;
    this.el.snap.addEventListener("input", () => { this.stopPlay(); this.frame = Number(this.el.snap.value); this.follow = false; this.schedule(); });
    this.el.snapPlay.addEventListener("click", () => (this.timer ? this.stopPlay() : this.play()));
    this.el.chips.addEventListener("keydown", (ev) => {
      const k = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[ev.key];
      const n = this.el.chips.children.length;
      if (!k || !n) return;
      ev.preventDefault();
      this.select((this.selected + k + n) % n);
      this.el.chips.children[this.selected]?.focus();
    });
    let last = "";
    const observer = new ResizeObserver(() => {
      const key = `${this.el.decision.clientWidth}x${this.el.decision.clientHeight}x${this.el.plane.clientWidth}x${this.el.plane.clientHeight}`;
      if (key === last) return;
      last = key;
      for (const gd of [this.el.decision, this.el.plane, this.el.plane3d]) if (gd.data && gd.offsetParent) plotly().Plots.resize(gd);
      this.drawn.plane = null; // the square frame of the plane depends on the div's size
      this.schedule();
    });
    observer.observe(this.el.decision);
    observer.observe(this.el.plane);
    this.exactHint();
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = null;
      try { this.draw(); } catch (err) { this.view.ctx.ui.error(err); }
      this.view.rendered();
    });
  }

  select(k) { this.selected = k; this.schedule(); }

  play() {
    const frames = this.frames || [];
    if (frames.length < 2) return;
    if (this.frame >= frames.length - 1) this.frame = 0;
    this.el.snapPlay.classList.add("playing");
    this.el.snapPlay.setAttribute("aria-label", "Pause");
    this.timer = setInterval(() => {
      this.frame += 1;
      this.follow = this.frame >= frames.length - 1;
      if (this.follow) this.stopPlay();
      this.schedule();
    }, 420);
  }

  stopPlay() {
    clearInterval(this.timer);
    this.timer = null;
    this.el.snapPlay.classList.remove("playing");
    this.el.snapPlay.setAttribute("aria-label", "Play the training");
  }

  draw() {
    const v = this.view;
    const run = v.run; // the run shown in the curves (may still be streaming)
    const done = v.done; // the last finished run: decision boundaries and plane
    this.status(run, v);
    if (!run) return;
    const names = displayNames(run.opts); const colors = run.opts.map(colorOf);
    this.legend(run, names, colors);
    const revision = `${run.header.dataset.name}|${run.header.steps}`;
    const P = plotly();
    const charts = { runs: run.runs, names, colors, total: run.total, revision };
    const chartKey = `${run.key}|${run.version}`;
    if (this.drawn.charts !== chartKey) {
      this.drawn.charts = chartKey;
      const loss = curvesFigure("loss", charts);
      P.react(this.el.loss, loss.data, loss.layout, SMALL);
      const classification = run.header.dataset.task === "classification";
      this.el.acc.closest(".card").classList.toggle("nets-off", !classification);
      if (classification) { const acc = curvesFigure("acc", charts); P.react(this.el.acc, acc.data, acc.layout, SMALL); }
      const sharp = sharpnessFigure(charts);
      P.react(this.el.sharp, sharp.data, sharp.layout, SMALL);
      this.sharpNote(run, names);
    }
    this.decision(run, done, v.sameData(run, done));
    this.plane(done, run !== done);
  }

  status(run, v) {
    const e = this.el;
    const share = run ? (run.done ? 1 : run.step / Math.max(1, run.total)) : 0;
    e.bar.style.width = `${(100 * share).toFixed(1)}%`;
    e.bar.parentElement.classList.toggle("active", !!(run && !run.done && v.streaming));
    let text = "";
    if (v.stale) text = "Settings changed — press Train.";
    else if (run && !run.done) text = `Training… step ${run.step} / ${run.total}`;
    else if (run?.done) {
      const h0 = run.header;
      text = `${run.runs.length} optimizer${run.runs.length > 1 ? "s" : ""} × ${h0.steps} steps on ${h0.dataset.params.n} points`
        + ` · d = ${h0.model.n_params} weights${v.elapsed ? ` · ${(v.elapsed / 1000).toFixed(1)} s` : ""}`;
    } else if (v.streaming) text = "Training…";
    e.status.textContent = text;
    e.train.classList.toggle("pulse", !!v.stale);
  }

  legend(run, names, colors) {
    const items = run.runs.map((r, i) => {
      const f = r.final || { loss: r.loss.at(-1), accuracy: r.accuracy.at(-1) };
      const acc = f.accuracy === null || f.accuracy === undefined ? "" : ` · ${pct(f.accuracy)} correct`;
      const status = r.status === "diverged" ? h("span", { class: "status bad" }, `✕ diverged at step ${r.diverged_at}`)
        : h("span", { class: "status" }, `E = ${fmt(f.loss, 3)}${acc}`);
      return h("li", { style: `--c:${colors[i]}`, "data-testid": "nets-legend-item", "data-status": r.status },
        h("span", { class: "legend-line", "aria-hidden": "true" }), h("span", { class: "legend-name" }, names[i]), status);
    });
    this.el.legend.replaceChildren(...items);
  }

  chips(names, colors) {
    if (this.selected >= names.length) this.selected = 0;
    const key = JSON.stringify([names, colors]);
    if (this.drawn.chips !== key) { // rebuild only when the optimizers change (keeps keyboard focus)
      this.drawn.chips = key;
      this.el.chips.replaceChildren(...names.map((n, i) => {
        const b = h("button", { type: "button", role: "radio", class: "nets-chip", style: `--c:${colors[i]}`,
          "data-testid": "nets-chip", title: `Shade P(class 1) of ${n}` }, h("span", { class: "swatch", "aria-hidden": "true" }), n);
        b.addEventListener("click", () => this.select(i));
        return b;
      }));
    }
    [...this.el.chips.children].forEach((b, i) => {
      b.setAttribute("aria-checked", String(i === this.selected));
      b.tabIndex = i === this.selected ? 0 : -1;
    });
  }

  decision(run, done, same) {
    const e = this.el;
    const dataset = run.header.dataset;
    const useDone = done && same && done.decision;
    const names = displayNames((useDone ? done : run).opts); const colors = (useDone ? done : run).opts.map(colorOf);
    const frames = useDone ? decisionFrames(done.decision) : [];
    this.frames = frames;
    if (this.follow || this.frame > frames.length - 1) this.frame = Math.max(0, frames.length - 1);
    const classification = dataset.task === "classification";
    e.title.textContent = classification ? "Data & decision boundary" : "Data (regression targets)";
    e.snapRow.hidden = !classification;
    e.snap.max = String(Math.max(0, frames.length - 1));
    e.snap.value = String(this.frame);
    e.snap.disabled = frames.length < 2;
    e.snapPlay.disabled = frames.length < 2;
    const step = frames[this.frame];
    e.snapLabel.textContent = frames.length ? `step ${step} / ${frames.at(-1)}` : "";
    e.snap.setAttribute("aria-valuetext", frames.length ? `step ${step}` : "no snapshots");
    this.chips(classification && useDone ? names : [], colors);
    const probs = useDone ? names.map((_, k) => probAt(done.decision, k, this.frame, frames)) : [];
    const key = `${run.key}|${useDone ? done.key : ""}|${this.frame}|${this.selected}|${e.decision.clientWidth}`;
    e.decision.classList.toggle("stale", !!(useDone && done !== run));
    e.key.innerHTML = classification
      ? '<span class="k0">●</span> class 0 · <span class="k1">○</span> class 1 · line: P(class 1) = 0.5 per optimizer (dashed: the others) · shading: P(class 1) of the chosen one'
      : "Regression: points coloured by their target t; no decision boundary.";
    if (this.drawn.decision === key) return;
    this.drawn.decision = key;
    const fig = decisionFigure({ dataset, decision: useDone ? done.decision : null, probs, selected: this.selected, names, colors,
      revision: `${dataset.name}|${JSON.stringify(dataset.params)}` });
    plotly().react(e.decision, fig.data, fig.layout, { ...CONFIG, displayModeBar: "hover" });
  }

  plane(done, stale) {
    const e = this.el;
    const mode = this.view.cfg().plot;
    e.plane.hidden = mode === "3d";
    e.plane3d.hidden = mode !== "3d";
    e.plane.classList.toggle("stale", stale);
    e.plane3d.classList.toggle("stale", stale);
    const plane = done?.plane;
    if (!plane) {
      e.trust.replaceChildren();
      e.directions.textContent = this.view.streaming ? "The plane and the projected paths are computed when training finishes." : "";
      return;
    }
    const names = displayNames(done.opts); const colors = done.opts.map(colorOf);
    const key = `${done.key}|${mode}|${e.plane.clientWidth}x${e.plane.clientHeight}`;
    if (this.drawn.plane !== key) {
      this.drawn.plane = key;
      const s = { plane, names, colors, revision: `${plane.method}|${done.key}`, losses: done.runs.map((r) => r.loss),
        size: { w: e.plane.clientWidth, h: e.plane.clientHeight } };
      if (mode === "3d") {
        if (!hasWebGL()) e.plane3d.replaceChildren(h("p", { class: "no-webgl" }, "3D needs WebGL, which this browser does not offer."));
        else { const fig = plane3dFigure(s); plotly().react(e.plane3d, fig.data, fig.layout, CONFIG); }
      } else {
        const fig = planeFigure(s);
        plotly().react(e.plane, fig.data, fig.layout, CONFIG);
      }
      this.directions(done, names);
      this.trust(plane, names, colors);
    }
  }

  directions(done, names) {
    const p = done.plane;
    const c = p.center.kind === "init" ? "the initial weights" : `${names[p.center.run]}'s final weights (step ${p.center.step})`;
    const sig = (x) => fmt(x, 3);
    let what;
    if (p.method === "pca") {
      const [a, b] = p.explained_variance;
      const records = done.runs.reduce((n, r) => n + r.steps.length, 0);
      what = `d₁, d₂ = the top two principal directions of all ${records} recorded weight vectors: they hold `
        + `${pct(a)} + ${pct(b)} = ${pct(a + b)} of their variance.`;
    } else if (p.method === "hessian") {
      const [l1, l2] = p.eigenvalues;
      what = `d₁, d₂ = the top two Hessian eigenvectors at the centre: λ₁ = ${sig(l1)}, λ₂ = ${sig(l2)} (Lanczos on exact Hessian-vector products).`;
    } else {
      const [n1, n2] = p.direction_norms;
      what = `d₁, d₂ = random directions with each neuron's row rescaled to that neuron's weight norm and biases zeroed `
        + `(filter-normalized, Li et al. 2018); ‖d₁‖ = ${sig(n1)}, ‖d₂‖ = ${sig(n2)}.`;
    }
    const centre = p.center.kind === "final" ? done.runs[p.center.run] : null;
    const warn = centre?.status === "diverged"
      ? h("span", { class: "bad" }, ` ${names[p.center.run]} diverged: its last weights are far out; centre the plane on another optimizer.`)
      : null;
    this.el.directions.replaceChildren(h("span", { "data-testid": "nets-direction-info" }, what),
      h("span", { class: "muted" }, ` Centre c = ${c}; w = c + α₁d₁ + α₂d₂.`), ...(warn ? [warn] : []));
  }

  trust(plane, names, colors) {
    const items = plane.paths.map((p, i) => {
      const ev = p.explained_variance;
      const vd = verdict(ev);
      const meter = h("span", { class: "nets-meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
        "aria-valuenow": ev === null ? "0" : (100 * ev).toFixed(1), "aria-label": `share of ${names[i]}'s path in the plane` },
      h("span", { style: `width:${(100 * (ev ?? 0)).toFixed(1)}%` }));
      return h("li", { class: `nets-trust-item ${vd.cls}`, style: `--c:${colors[i]}`, "data-testid": "nets-trust-item",
        "data-run": String(i), "data-ev": ev === null ? "" : String(ev) },
      h("span", { class: "nets-trust-name" }, h("span", { class: "swatch", "aria-hidden": "true" }), names[i]),
      meter, h("span", { class: `nets-verdict ${vd.cls}` }, vd.text),
      h("span", { class: "nets-trust-text", "data-testid": "nets-trust-text" }, trustSentence(p, plane.direction_norms)));
    });
    this.el.trust.replaceChildren(...items);
  }

  sharpNote(run, names) {
    const parts = [];
    run.runs.forEach((r, i) => {
      const sh = r.sharpness;
      let best = null;
      sh.lam_max.forEach((l, k) => {
        const two = sh.two_over_eta[k];
        if (l !== null && two > 0 && (best === null || l / two > best.ratio)) best = { ratio: l / two, l, two };
      });
      if (best) parts.push(`${names[i]} ${fmt(best.l, 3)} vs ${fmt(best.two, 3)}`);
    });
    this.el.sharpNote.textContent = parts.length
      ? `Highest λmax vs 2/η: ${parts.join(" · ")}. GD on a quadratic is stable only while λmax < 2/η; in training `
        + "full-batch GD's λmax tends to climb to 2/η and hover there (the edge of stability)."
      : "λmax is off (Training → λmax every).";
  }

  /** The exact 2-weight surfaces of the Paths view: links that switch the surface and the view. */
  exactHint() {
    const surfaces = new Map(this.view.ctx.catalog.surfaces.map((s) => [s.name, s]));
    const links = EXACT.filter((n) => surfaces.has(n)).map((n) => {
      const b = h("button", { type: "button", class: "btn chip", "data-testid": `nets-exact-${n}`,
        title: `Open ${surfaces.get(n).title} in the Paths view` }, h("code", {}, n));
      b.addEventListener("click", () => this.view.openSurface(surfaces.get(n)));
      return b;
    });
    if (!links.length) return;
    this.el.exact.replaceChildren("No projection at all: the exact 2-weight surfaces ", ...links.flatMap((l, i) => (i ? [" ", l] : [l])),
      " are in the Paths view's surface picker.");
  }
}
