// controls/optimizers.js — the optimizer panel: one card per optimizer (add / duplicate / remove,
// up to the API's limit), hyperparameters generated from GET /api/optimizers, η on a log slider
// with the stable band and η* of the quadratic's theory.

import { fmt, h } from "../dom.js";
import { PALETTE } from "../plots/common.js";
import { STYLE, colorOf, displayName } from "../optimizer-style.js";
import { texToHtml } from "../tex.js";
import { optimalSettings, runTheory } from "../theory.js";
import { slider } from "./slider.js";

// display names and colours: one table keyed by optimizer name (optimizer-style.js)
export const SHORT = Object.fromEntries(Object.entries(STYLE).map(([k, v]) => [k, v.name]));
// Learning rates that show something on the default scene (torch's Adam default 1e-3 barely moves here).
export const DEMO = { gd: { lr: 0.03 }, momentum: { lr: 0.01, momentum: 0.9 }, nesterov: { lr: 0.01, momentum: 0.9 },
  adam: { lr: 0.3 }, adamw: { lr: 0.3 }, adagrad: { lr: 1 }, rmsprop: { lr: 0.05 }, adadelta: { lr: 1 }, newton: { lr: 1 } };
/** Settings a newly added optimizer starts with: the page's own, else the catalogue's `demo` (each module's). */
export const demoOf = (info) => ({ ...(info?.demo || {}), ...(DEMO[info?.name] || {}) });
const PRIMARY = new Set(["lr", "momentum", "betas", "alpha", "rho"]);
const SYMBOL = { lr: "η", momentum: "μ", alpha: "α", rho: "ρ", eps: "ε", weight_decay: "weight decay",
  dampening: "dampening", lr_decay: "lr decay", initial_accumulator_value: "r₀", damping: "damping" };
const LR_RANGE = [1e-5, 10];
const DUP_ICON = '<svg viewBox="0 0 16 16" aria-hidden="true"><rect x="5.5" y="5.5" width="8" height="8" rx="1.5"/>'
  + '<path d="M10.5 3.5v-.5a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h.5"/></svg>';

export { colorOf };

/** Legend names: the label, or the short name; duplicates get their η (then #k) appended. */
export function displayNames(opts) {
  const base = opts.map((o) => o.label || displayName(o.name));
  const count = (arr) => arr.reduce((m, b) => m.set(b, (m.get(b) || 0) + 1), new Map());
  const c1 = count(base);
  const named = base.map((b, i) => (c1.get(b) > 1 && !opts[i].label && opts[i].lr !== undefined ? `${b} η=${fmt(opts[i].lr)}` : b));
  const c2 = count(named);
  const seen = new Map();
  return named.map((n) => {
    if (c2.get(n) === 1) return n;
    seen.set(n, (seen.get(n) || 0) + 1);
    return `${n} #${seen.get(n)}`;
  });
}

/** The first palette index no optimizer uses. */
export function freeColor(opts) {
  const used = new Set(opts.map((o, i) => o.c ?? i));
  for (let c = 0; c < PALETTE.length; c++) if (!used.has(c)) return c;
  return opts.length % PALETTE.length;
}

export class OptimizerPanel {
  constructor({ list, addSelect, addButton, countEl, catalog, store, limits }) {
    Object.assign(this, { list, addSelect, addButton, countEl, catalog, store, limits });
    this.byName = Object.fromEntries(catalog.map((o) => [o.name, o]));
    this.signature = null;
    this.cards = [];
    addSelect.replaceChildren(...catalog.map((o) => h("option", { value: o.name }, `${SHORT[o.name] || o.name} — ${o.title}`)));
    addSelect.value = "adagrad";
    addButton.addEventListener("click", () => this.add(addSelect.value));
  }

  edit(mutator) { this.store.update((d) => mutator(d.opt, d)); }

  add(name) {
    this.edit((opts) => {
      if (opts.length >= this.limits.max_optimizers) return;
      opts.push({ name, ...demoOf(this.byName[name]), c: freeColor(opts) });
    });
  }

  /** Rebuild the cards when the list's shape changed; otherwise only refresh values and bands. */
  render(state, theory) {
    const opts = state.opt;
    const sig = opts.map((o, i) => `${o.name}:${colorOf(o, i, opts)}`).join("|"); // colours follow name and theme
    if (sig !== this.signature) {
      this.signature = sig;
      this.cards = opts.map((o, i) => this.card(o, i, opts.length, colorOf(o, i, opts)));
      this.list.replaceChildren(...this.cards.map((c) => c.el));
    }
    const names = displayNames(opts);
    opts.forEach((o, i) => this.cards[i].update(o, theory, names[i]));
    const full = opts.length >= this.limits.max_optimizers;
    this.addButton.disabled = full;
    this.countEl.textContent = `${opts.length} / ${this.limits.max_optimizers}`;
    this.list.querySelectorAll("[data-act=dup]").forEach((b) => { b.disabled = full; });
    this.list.querySelectorAll("[data-act=remove]").forEach((b) => { b.disabled = opts.length <= 1; });
  }

  card(opt, i, n, color = colorOf(opt, i)) {
    const info = this.byName[opt.name];
    const set = (key, v) => this.edit((opts) => { opts[i][key] = v; });
    const nameSelect = h("select", { "aria-label": `Optimizer ${i + 1} type`, "data-testid": "opt-name" },
      this.catalog.map((o) => h("option", { value: o.name, selected: o.name === opt.name }, SHORT[o.name] || o.name)));
    nameSelect.addEventListener("change", () => this.edit((opts) => {
      opts[i] = { name: nameSelect.value, ...demoOf(this.byName[nameSelect.value]), c: opts[i].c ?? i };
    }));
    const optimal = h("button", { type: "button", class: "btn chip", "data-act": "optimal", "data-testid": "opt-optimal",
      title: "Set the optimal η (and μ) of the quadratic's theory" }, "η*");
    optimal.addEventListener("click", () => {
      const best = optimalSettings(this.theory, i);
      if (best) this.edit((opts) => Object.assign(opts[i], roundAll(best)));
    });
    const dup = h("button", { type: "button", class: "btn icon", "data-act": "dup", title: "Duplicate",
      "aria-label": `Duplicate optimizer ${i + 1}`, "data-testid": "opt-duplicate", html: DUP_ICON });
    dup.addEventListener("click", () => this.edit((opts) => {
      if (opts.length < this.limits.max_optimizers) opts.splice(i + 1, 0, { ...structuredClone(opts[i]), c: freeColor(opts) });
    }));
    const remove = h("button", { type: "button", class: "btn icon", "data-act": "remove", title: "Remove",
      "aria-label": `Remove optimizer ${i + 1}`, "data-testid": "opt-remove", disabled: n <= 1 }, "×");
    remove.addEventListener("click", () => this.edit((opts) => { if (opts.length > 1) opts.splice(i, 1); }));

    const controls = {};
    const primary = h("div", { class: "opt-params" });
    const more = h("div", { class: "opt-more-grid" });
    for (const p of info.params) {
      const target = PRIMARY.has(p.name) ? primary : more;
      const value = opt[p.name] ?? p.default;
      if (p.name === "lr") {
        controls.lr = slider({ labelHtml: "η", label: "learning rate η", ariaLabel: `η of optimizer ${i + 1}`,
          min: LR_RANGE[0], max: LR_RANGE[1], log: true, inputMin: 0, inputMax: 100, value, sig: 3,
          testid: "opt-lr", onChange: (v) => set("lr", v) });
        target.append(controls.lr.el);
      } else if (p.type === "pair" && p.name !== "betas") {
        // other pairs (Rprop's etas and step_sizes, Adafactor's eps): two number boxes
        [0, 1].forEach((k) => {
          const input = h("input", { type: "number", step: "any", min: p.min ?? null, max: p.max ?? null, value: value[k],
            "aria-label": `${p.name}[${k}] of optimizer ${i + 1}`, "data-testid": `opt-${p.name}${k}` });
          input.addEventListener("change", () => {
            const v = Number(input.value);
            if (input.value === "" || !Number.isFinite(v)) return;
            this.edit((opts) => { const b = [...(opts[i][p.name] ?? p.default)]; b[k] = v; opts[i][p.name] = b; });
          });
          controls[`${p.name}${k}`] = { set: (v) => { if (document.activeElement !== input) input.value = v; } };
          target.append(h("label", { class: "mini", title: p.description }, h("span", {}, `${p.name}[${k}]`), input));
        });
      } else if (p.type === "choice") {
        const select = h("select", { "aria-label": `${p.name} of optimizer ${i + 1}`, "data-testid": `opt-${p.name}` },
          p.choices.map((c) => h("option", { value: c, selected: c === value }, c)));
        select.addEventListener("change", () => set(p.name, select.value));
        controls[p.name] = { set: (v) => { select.value = v; } };
        target.append(h("label", { class: "mini", title: p.description }, h("span", {}, p.name), select));
      } else if (p.type === "pair") {
        [0, 1].forEach((k) => {
          const s = slider({ labelHtml: `β<sub>${k + 1}</sub>`, label: `β${k + 1}`, ariaLabel: `β${k + 1} of optimizer ${i + 1}`,
            min: 0, max: p.max ?? 0.9999, step: 0.0001, value: value[k], sig: 4, testid: `opt-beta${k + 1}`,
            onChange: (v) => this.edit((opts) => {
              const b = [...(opts[i].betas ?? p.default)]; b[k] = v; opts[i].betas = b;
            }) });
          controls[`${p.name}${k}`] = s;
          target.append(s.el);
        });
      } else if (p.type === "bool") {
        const box = h("input", { type: "checkbox", checked: !!value, "data-testid": `opt-${p.name}` });
        box.addEventListener("change", () => set(p.name, box.checked));
        controls[p.name] = { set: (v) => { box.checked = !!v; } };
        target.append(h("label", { class: "check", title: p.description }, box, ` ${p.name}`));
      } else if (PRIMARY.has(p.name)) {
        controls[p.name] = slider({ labelHtml: SYMBOL[p.name] || p.name, label: p.name, ariaLabel: `${p.name} of optimizer ${i + 1}`,
          min: p.min ?? 0, max: p.max ?? 1, step: 0.001, value, sig: 4, title: p.description,
          testid: `opt-${p.name}`, onChange: (v) => set(p.name, v) });
        target.append(controls[p.name].el);
      } else {
        const input = h("input", { type: "number", step: "any", min: p.min ?? null, max: p.max ?? null, value,
          "aria-label": `${p.name} of optimizer ${i + 1}`, "data-testid": `opt-${p.name}` });
        input.addEventListener("change", () => { const v = Number(input.value); if (input.value !== "" && Number.isFinite(v)) set(p.name, v); });
        controls[p.name] = { set: (v) => { if (document.activeElement !== input) input.value = v; } };
        target.append(h("label", { class: "mini", title: p.description }, h("span", {}, SYMBOL[p.name] || p.name), input));
      }
    }
    const title = h("span", { class: "opt-title" });
    const rule = h("p", { class: "rule", html: texToHtml(info.rule) });
    const el = h("li", { class: "opt-card", style: `--c:${color}`, "data-testid": "opt-card", "data-name": opt.name },
      h("div", { class: "opt-head" }, h("span", { class: "swatch", "aria-hidden": "true" }), nameSelect, title,
        h("span", { class: "spacer" }), optimal, dup, remove),
      primary,
      h("details", { class: "opt-more" }, h("summary", {}, "more"), more, rule,
        h("p", { class: "torch" }, h("code", {}, info.torch))));
    const panel = this;
    return {
      el,
      update(o, theory, name) {
        panel.theory = theory;
        title.textContent = name !== (SHORT[o.name] || o.name) ? name : "";
        for (const p of info.params) {
          const v = o[p.name] ?? p.default;
          if (p.type === "pair") { controls[`${p.name}0`]?.set(v[0]); controls[`${p.name}1`]?.set(v[1]); } else controls[p.name]?.set(v);
        }
        // the stable band and η* of this run, as engine/theory.py computed them (dampening, weight decay included)
        const tr = runTheory(theory, i);
        const hi = tr.eta_max_stable ?? null;
        const best = tr.optimal?.lr ?? null;
        controls.lr?.setBand(hi ? { hi, opt: best, text: `stable for η < ${fmt(hi)}`, optText: best ? `η* = ${fmt(best)}` : "" } : null);
        optimal.hidden = !optimalSettings(theory, i);
      },
    };
  }
}

const roundAll = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v.toPrecision(6))]));
