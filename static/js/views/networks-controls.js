// views/networks-controls.js — the Networks view's controls: data (from GET /api/network/datasets),
// model, the view's own optimizer list (the shared OptimizerPanel on the store's `nopt` row), training,
// and the plane toolbar. Every control writes the store; render(cfg) mirrors the effective config back.

import { $, h, plain } from "../dom.js";
import { OptimizerPanel, displayNames } from "../controls/optimizers.js";
import { slider } from "../controls/slider.js";
import { DEFAULTS, PLANE_METHODS, architecture, hiddenText, parseHidden } from "./networks-config.js";

const BATCHES = [0, 1, 8, 16, 32, 64, 128];
const SHARP_EVERY = [0, 1, 5, 10, 25, 50, 100];
const SPANS = [0, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const LOSS_TEXT = { auto: "auto", bce: "BCE", mse: "MSE" };
const INIT_TEXT = { he: "He N(0, 2/fan_in)", xavier: "Xavier uniform", normal: "N(0, σ²)" };
const PARAM_LABEL = { noise: "noise", factor: "inner r", turns: "turns", separation: "separation", std: "blob std",
  rho: "ρ", scale_ratio: "scale x₂/x₁" };

const setValue = (input, v) => { if (document.activeElement !== input) input.value = v; };
const options = (select, items) => select.replaceChildren(...items.map(([value, text]) => h("option", { value }, text)));

export class NetworkControls {
  /** `net` = the network catalogue, `cfg()` = the current effective config. */
  constructor({ root, ctx, net, cfg }) {
    Object.assign(this, { root, ctx, store: ctx.store, net, cfg });
    this.datasets = Object.fromEntries(net.datasets.map((d) => [d.name, d]));
    this.schedules = Object.fromEntries(ctx.catalog.schedules.map((s) => [s.name, s]));
    this.shownData = null;
    this.shownSched = null;
    this.sliders = {};
    this.el = Object.fromEntries(Object.entries({
      dataset: "#nets-dataset", params: "#nets-data-params", n: "#nets-n", dataSeed: "#nets-data-seed", task: "#nets-task",
      hidden: "#nets-hidden", arch: "#nets-arch", d: "#nets-d", activation: "#nets-activation", loss: "#nets-loss",
      init: "#nets-init", sigma: "#nets-sigma", sigmaField: "#nets-sigma-field", modelSeed: "#nets-model-seed",
      steps: "#nets-steps", batch: "#nets-batch", sharp: "#nets-sharp", schedule: "#nets-schedule",
      schedParams: "#nets-schedule-params", method: "#nets-method", mode: "#nets-plot-mode", center: "#nets-center",
      span: "#nets-span", copy: "#nets-copy-opt",
    }).map(([k, sel]) => [k, $(sel, root)]));
    this.optimizers = ctx.catalog.optimizers.filter((o) => o.networks !== false); // catalogue flag: no d×d Hessian methods
    this.optPanel = new OptimizerPanel({
      list: $("#nets-opt-list", root), addSelect: $("#nets-add-opt", root), addButton: $("#nets-add", root),
      countEl: $("#nets-opt-count", root), catalog: this.optimizers, store: this.optStore(), limits: ctx.limits,
    });
    this.wire();
  }

  /** The OptimizerPanel edits `d.opt`; this adapter points it at the view's own row `nopt`. */
  optStore() {
    const store = this.store;
    return {
      get: () => ({ opt: this.cfg().opt }),
      update: (mutator) => store.update((d) => {
        const shim = { opt: structuredClone(d.nopt || DEFAULTS.opt) };
        mutator(shim);
        d.nopt = shim.opt;
      }),
    };
  }

  up(fn) { this.store.update(fn); }
  /** Edit one of the view's spec rows (null = defaults) in place. */
  edit(key, base, fn) { this.up((d) => { d[key] = { ...base, ...(d[key] || {}) }; fn(d[key]); }); }

  wire() {
    const e = this.el;
    options(e.dataset, this.net.datasets.map((d) => [d.name, d.title]));
    e.dataset.addEventListener("change", () => this.up((d) => {
      const cur = this.cfg().data;
      d.ndata = { name: e.dataset.value, n: cur.n, seed: cur.seed }; // the new set's params start at their defaults
    }));
    const intInput = (input, apply, min = 0, max = Infinity) => input.addEventListener("change", () => {
      const v = Math.round(Number(input.value));
      if (input.value === "" || !Number.isFinite(v)) return this.render(this.cfg());
      apply(Math.min(max, Math.max(min, v)));
    });
    intInput(e.n, (v) => this.edit("ndata", DEFAULTS.data, (s) => { s.n = v; }), 4, this.ctx.limits.max_dataset_n);
    intInput(e.dataSeed, (v) => this.edit("ndata", DEFAULTS.data, (s) => { s.seed = v; }), 0, 2 ** 32 - 1);

    e.hidden.addEventListener("change", () => this.edit("nmodel", DEFAULTS.model, (m) => { m.hidden = hiddenText(parseHidden(e.hidden.value)); }));
    options(e.activation, this.net.activations.map((a) => [a, a]));
    options(e.loss, ["auto", ...this.net.losses].map((l) => [l, LOSS_TEXT[l] || l]));
    options(e.init, this.net.inits.map((i) => [i, INIT_TEXT[i] || i]));
    e.activation.addEventListener("change", () => this.edit("nmodel", DEFAULTS.model, (m) => { m.name = e.activation.value; }));
    e.loss.addEventListener("change", () => this.edit("nmodel", DEFAULTS.model, (m) => { m.loss = e.loss.value; }));
    e.init.addEventListener("change", () => this.edit("nmodel", DEFAULTS.model, (m) => { m.init = e.init.value; }));
    e.sigma.addEventListener("change", () => {
      const v = Number(e.sigma.value);
      if (e.sigma.value === "" || !(v > 0)) return this.render(this.cfg());
      this.edit("nmodel", DEFAULTS.model, (m) => { m.sigma = Math.min(v, 10); });
    });
    intInput(e.modelSeed, (v) => this.edit("nmodel", DEFAULTS.model, (m) => { m.seed = v; }), 0, 2 ** 32 - 1);

    intInput(e.steps, (v) => this.up((d) => { d.nsteps = v; }), 1, this.ctx.limits.max_network_steps);
    options(e.batch, BATCHES.map((b) => [b, b ? String(b) : "full batch"]));
    e.batch.addEventListener("change", () => this.up((d) => { d.nbatch = Number(e.batch.value); }));
    options(e.sharp, SHARP_EVERY.map((k) => [k, k ? `${k} steps` : "off"]));
    e.sharp.addEventListener("change", () => this.up((d) => { d.nsharp = Number(e.sharp.value); }));
    options(e.schedule, this.ctx.catalog.schedules.map((s) => [s.name, s.name]));
    e.schedule.addEventListener("change", () => this.up((d) => { d.nsched = { name: e.schedule.value }; }));

    // plane toolbar: method and mode are radio groups (arrow keys move, as in the Paths toolbar)
    e.method.replaceChildren(...PLANE_METHODS.map((m) => h("button", { type: "button", role: "radio", "data-mode": m.name,
      title: m.title, "data-testid": `nets-method-${m.name}` }, m.label)));
    radioGroup(e.method, () => this.cfg().plane.method, (v) => this.edit("nplane", DEFAULTS.plane, (p) => { p.name = v; }));
    radioGroup(e.mode, () => this.cfg().plot, (v) => this.up((d) => { d.nplot = v; }));
    e.center.addEventListener("change", () => this.edit("nplane", DEFAULTS.plane, (p) => { p.at = Number(e.center.value); }));
    options(e.span, SPANS.map((s) => [s, s ? `span ${s}` : "span: fit paths"]));
    e.span.addEventListener("change", () => this.edit("nplane", DEFAULTS.plane, (p) => { p.span = Number(e.span.value); }));
    e.copy.addEventListener("click", () => this.up((d) => {
      const names = new Set(this.optimizers.map((o) => o.name));
      const list = (d.opt || []).filter((o) => names.has(o.name)).map((o, i) => ({ ...o, c: o.c ?? i }));
      if (list.length) d.nopt = structuredClone(list);
    }));
  }

  /** Mirror the effective config (and the model size of the last run) into the controls. */
  render(cfg, modelInfo) {
    const e = this.el;
    e.dataset.value = cfg.data.name;
    if (this.shownData !== cfg.data.name) this.dataSliders(cfg);
    for (const [name, s] of Object.entries(this.sliders)) s.set(cfg.data.params[name] ?? this.paramDefault(cfg, name));
    setValue(e.n, cfg.data.n);
    setValue(e.dataSeed, cfg.data.seed);
    e.task.textContent = cfg.task;

    setValue(e.hidden, cfg.model.hidden.join(", "));
    e.arch.textContent = cfg.model.hidden.length ? `${architecture(cfg.model.hidden)} · ${cfg.model.activation} hidden units`
      : `${architecture(cfg.model.hidden)}: a linear model (no hidden layer)`;
    e.d.textContent = modelInfo ? `d = ${modelInfo.n_params} weights` : "";
    e.activation.value = cfg.model.activation;
    e.loss.value = cfg.model.loss;
    const bce = e.loss.querySelector('option[value="bce"]');
    if (bce) bce.disabled = cfg.task !== "classification";
    const auto = e.loss.querySelector('option[value="auto"]');
    auto.textContent = `auto (${cfg.task === "classification" ? "BCE" : "MSE"})`;
    e.init.value = cfg.model.init;
    setValue(e.sigma, plain(cfg.model.sigma));
    e.sigma.disabled = cfg.model.init !== "normal";
    e.sigmaField.classList.toggle("muted", cfg.model.init !== "normal");
    setValue(e.modelSeed, cfg.model.seed);

    setValue(e.steps, cfg.steps);
    selectValue(e.batch, cfg.batch, (b) => (b ? String(b) : "full batch"));
    selectValue(e.sharp, cfg.sharp, (k) => (k ? `${k} steps` : "off"));
    e.schedule.value = cfg.sched.name;
    if (this.shownSched !== JSON.stringify(cfg.sched)) this.schedParams(cfg.sched);

    this.optPanel.render({ opt: cfg.opt }, {});
    paintRadio(this.el.method, cfg.plane.method);
    paintRadio(this.el.mode, cfg.plot);
    const names = displayNames(cfg.opt);
    const centers = [...cfg.opt.map((o, i) => [i, `centre: ${names[i]}'s final weights`]), [-1, "centre: initial weights"]];
    if (this.shownCenters !== JSON.stringify(centers)) { options(e.center, centers); this.shownCenters = JSON.stringify(centers); }
    e.center.value = String(cfg.plane.at);
    selectValue(e.span, cfg.plane.span, (s) => (s ? `span ${s}` : "span: fit paths"));
  }

  paramDefault(cfg, name) { return cfg.info?.params.find((p) => p.name === name)?.default; }

  dataSliders(cfg) {
    this.shownData = cfg.data.name;
    this.sliders = {};
    const info = this.datasets[cfg.data.name];
    const rows = (info?.params || []).filter((p) => !["n", "seed"].includes(p.name)).map((p) => {
      const log = !!p.log;
      const s = slider({ label: PARAM_LABEL[p.name] || p.name, ariaLabel: p.description || p.name, title: p.description,
        min: log ? Math.max(p.min, p.max / 1e4) : p.min, max: p.max, log, step: (p.max - p.min) / 200,
        value: cfg.data.params[p.name] ?? p.default, sig: 3, testid: `nets-p-${p.name}`,
        onChange: (v) => this.edit("ndata", DEFAULTS.data, (d) => { d[p.name] = v; }) });
      s.el.title = p.description;
      this.sliders[p.name] = s;
      return s.el;
    });
    this.el.params.replaceChildren(...rows);
  }

  schedParams(sched) {
    this.shownSched = JSON.stringify(sched);
    const info = this.schedules[sched.name];
    const fields = (info?.params || []).map((p) => {
      const input = h("input", { type: "number", step: p.type === "int" ? 1 : "any", min: p.min, max: p.max,
        value: sched[p.name] ?? p.default, "data-testid": `nets-sched-${p.name}`, title: p.description });
      input.addEventListener("change", () => {
        const v = Number(input.value);
        if (input.value === "" || !Number.isFinite(v)) return;
        this.up((d) => { d.nsched = { ...(d.nsched || { name: sched.name }), [p.name]: p.type === "int" ? Math.round(v) : v }; });
      });
      return h("label", { class: "mini", title: p.description }, h("span", {}, p.name), input);
    });
    this.el.schedParams.replaceChildren(...fields);
  }
}

/** Select `value`, adding an option for a value the list lacks (a hand-edited link). */
function selectValue(select, value, text) {
  if (![...select.options].some((o) => Number(o.value) === Number(value))) select.append(h("option", { value }, text(value)));
  select.value = String(value);
}

function paintRadio(group, value) {
  for (const b of group.querySelectorAll("button")) {
    const on = b.dataset.mode === value;
    b.setAttribute("aria-checked", String(on));
    b.tabIndex = on ? 0 : -1; // roving tab stop: Tab enters the group at the checked button
  }
}

function radioGroup(group, current, set) {
  const values = () => [...group.querySelectorAll("button")].map((b) => b.dataset.mode);
  for (const b of group.querySelectorAll("button")) b.addEventListener("click", () => set(b.dataset.mode));
  group.addEventListener("keydown", (ev) => {
    const k = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[ev.key];
    if (!k) return;
    ev.preventDefault();
    const vals = values();
    const next = vals[(vals.indexOf(current()) + k + vals.length) % vals.length];
    set(next);
    group.querySelector(`[data-mode="${next}"]`).focus();
  });
}
