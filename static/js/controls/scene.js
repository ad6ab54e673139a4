// controls/scene.js — surface picker with its own parameter sliders, start/steps, schedule + noise,
// and the plot toolbar. Every control writes the store; render() mirrors the store back.

import { $, h, plain } from "../dom.js";
import { texToHtml } from "../tex.js";
import { CUSTOM, FormulaBox, defaultStart, withCustom } from "./formula.js";
import { slider } from "./slider.js";

// Friendlier UI ranges than the API's hard limits (the number box still accepts the full range).
const UI_RANGE = {
  quadratic: { kappa: { min: 1, max: 1000, log: true }, theta: { min: -90, max: 90, step: 1 },
    lam_min: { min: 0.01, max: 100, log: true } },
};
const PARAM_LABEL = { kappa: "κ", theta: "θ (°)", lam_min: "λ<sub>min</sub>" };

function uiRange(surface, p) {
  const o = UI_RANGE[surface]?.[p.name];
  if (o) return o;
  if (p.log) return { min: p.min > 0 ? p.min : p.max / 1e4, max: p.max, log: true };
  return { min: p.min, max: p.max, step: p.type === "int" ? 1 : (p.max - p.min) / 1000 };
}

const setValue = (input, v) => { if (document.activeElement !== input) input.value = plain(v, 8); };

export class ScenePanel {
  constructor({ root, catalog, store, limits }) {
    Object.assign(this, { root, catalog: withCustom(catalog), store, limits });
    this.surfaces = Object.fromEntries(catalog.surfaces.map((s) => [s.name, s]));
    this.schedules = Object.fromEntries(catalog.schedules.map((s) => [s.name, s]));
    this.el = {
      surface: $("#surface-select", root), params: $("#surface-params", root), formula: $("#surface-formula", root),
      x: $("#start-x", root), y: $("#start-y", root), steps: $("#steps", root), reset: $("#start-reset", root),
      schedule: $("#schedule-select", root), schedParams: $("#schedule-params", root), schedFormula: $("#schedule-formula", root),
      sigma: $("#noise-sigma", root), seed: $("#noise-seed", root),
      mode: $("#plot-mode", root), eig: $("#eig-every", root), log: $("#log-levels", root),
    };
    this.surfaceShown = null;
    this.scheduleShown = null;
    this.formulaBox = new FormulaBox({ root, store }); // the "Custom formula" entry's text box
    this.wire();
  }

  wire() {
    const e = this.el;
    const up = (fn) => this.store.update(fn);
    e.surface.replaceChildren(...this.catalog.surfaces.map((s) => h("option", { value: s.name }, s.title)));
    e.surface.addEventListener("change", () => up((d) => {
      const s = this.surfaces[e.surface.value];
      d.surface = s.name; d.sp = {}; d.start = s.name === CUSTOM ? defaultStart(d) : [...s.default_start];
    }));
    const startFrom = () => {
      const x = Number(e.x.value); const y = Number(e.y.value);
      if (e.x.value !== "" && e.y.value !== "" && Number.isFinite(x) && Number.isFinite(y)) up((d) => { d.start = [x, y]; });
    };
    e.x.addEventListener("change", startFrom);
    e.y.addEventListener("change", startFrom);
    e.reset.addEventListener("click", () => up((d) => {
      d.start = d.surface === CUSTOM ? defaultStart(d) : [...this.surfaces[d.surface].default_start];
    }));
    e.steps.max = this.limits.max_steps;
    e.steps.addEventListener("change", () => {
      const n = Math.round(Number(e.steps.value));
      if (Number.isFinite(n) && n >= 1) up((d) => { d.steps = Math.min(n, this.limits.max_steps); });
    });
    e.schedule.replaceChildren(...this.catalog.schedules.map((s) => h("option", { value: s.name }, s.name)));
    e.schedule.addEventListener("change", () => up((d) => { d.schedule = { name: e.schedule.value }; }));
    e.sigma.addEventListener("change", () => {
      const v = Number(e.sigma.value);
      if (e.sigma.value !== "" && Number.isFinite(v)) up((d) => { d.sigma = v; });
    });
    e.seed.addEventListener("change", () => {
      const v = Math.round(Number(e.seed.value));
      if (Number.isFinite(v) && v >= 0) up((d) => { d.seed = v; });
    });
    for (const b of e.mode.querySelectorAll("button")) b.addEventListener("click", () => up((d) => { d.plot = b.dataset.mode; }));
    e.mode.addEventListener("keydown", (ev) => {
      const modes = ["2d", "3d", "split"];
      const k = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[ev.key];
      if (!k) return;
      ev.preventDefault();
      const next = modes[(modes.indexOf(this.store.get().plot) + k + 3) % 3];
      up((d) => { d.plot = next; });
      e.mode.querySelector(`[data-mode="${next}"]`).focus();
    });
    e.eig.addEventListener("change", () => up((d) => { d.eig = Number(e.eig.value); }));
    e.log.addEventListener("change", () => up((d) => { d.log = e.log.checked; }));
  }

  buildSurfaceParams(surface) {
    const meta = this.surfaces[surface];
    this.paramSliders = {};
    const rows = meta.params.map((p) => {
      const r = uiRange(surface, p);
      const s = slider({ labelHtml: PARAM_LABEL[p.name] || p.name, label: p.name, ariaLabel: p.description || p.name,
        min: r.min, max: r.max, log: r.log, step: r.step, value: p.default, sig: 4, title: p.description,
        inputMin: p.min, inputMax: p.max, testid: `sp-${p.name}`,
        onChange: (v) => this.store.update((d) => { d.sp[p.name] = v; }) });
      s.el.title = p.description || "";
      this.paramSliders[p.name] = s;
      return s.el;
    });
    this.el.params.replaceChildren(...rows);
    const custom = surface === CUSTOM;
    if (!rows.length && !custom) this.el.params.append(h("p", { class: "hint" }, "No parameters."));
    this.el.formula.innerHTML = texToHtml(meta.formula);
    this.el.formula.hidden = custom;
    this.formulaBox.show(custom);
  }

  buildScheduleParams(name) {
    const meta = this.schedules[name];
    this.schedInputs = {};
    const rows = meta.params.map((p) => {
      const input = h("input", { type: "number", step: p.type === "int" ? 1 : "any", min: p.min ?? null, max: p.max ?? null,
        "aria-label": `${name} schedule ${p.name}`, "data-testid": `sched-${p.name}` });
      input.addEventListener("change", () => {
        const v = Number(input.value);
        if (input.value !== "" && Number.isFinite(v)) this.store.update((d) => { d.schedule[p.name] = v; });
      });
      this.schedInputs[p.name] = { input, p };
      return h("label", { class: "mini", title: p.description }, h("span", {}, p.name.replace("_", " ")), input);
    });
    this.el.schedParams.replaceChildren(...rows);
    this.el.schedFormula.innerHTML = name === "constant" ? "η<sub>t</sub> = η" : `η<sub>t</sub> = η · ${texToHtml(meta.formula)}`;
  }

  render(state) {
    // the store changes on every slider input; the controls here only need a pass when their own rows changed
    const key = JSON.stringify([state.surface, state.sp, state.start, state.steps, state.schedule, state.sigma, state.seed,
      state.plot, state.eig, state.log, state.fexpr, state.fdx, state.fdy]);
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    const e = this.el;
    if (state.surface !== this.surfaceShown && this.surfaces[state.surface]) {
      this.surfaceShown = state.surface;
      this.buildSurfaceParams(state.surface);
    }
    e.surface.value = state.surface;
    if (state.surface === CUSTOM) this.formulaBox.render(state);
    const meta = this.surfaces[state.surface];
    for (const p of meta?.params || []) this.paramSliders[p.name]?.set(state.sp[p.name] ?? p.default);
    setValue(e.x, state.start[0]); setValue(e.y, state.start[1]); setValue(e.steps, state.steps);
    const sched = this.schedules[state.schedule.name] ? state.schedule.name : "constant";
    if (sched !== this.scheduleShown) { this.scheduleShown = sched; this.buildScheduleParams(sched); }
    e.schedule.value = sched;
    for (const { input, p } of Object.values(this.schedInputs)) setValue(input, state.schedule[p.name] ?? p.default);
    setValue(e.sigma, state.sigma); setValue(e.seed, state.seed);
    for (const b of e.mode.querySelectorAll("button")) {
      const on = b.dataset.mode === state.plot;
      b.setAttribute("aria-checked", String(on));
      b.tabIndex = on ? 0 : -1;
    }
    e.eig.value = String(state.eig);
    if (e.eig.value !== String(state.eig)) e.eig.value = "0";
    e.log.checked = !!state.log;
  }
}
