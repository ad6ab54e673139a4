// controls/formula.js — the "Custom formula" surface: a text box for f(x, y) and its x/y domain,
// checked as you type (debounced POST /api/formula, the newest request wins). A rejected formula is
// shown inline — the text again with the offending column underlined and the server's message — and
// the scene is left alone; a valid one shows its exact derivatives as text and is written to the
// store (state rows fexpr / fdx / fdy, so the link carries it), which reruns the scene on
// {"name": "custom", "expr", "domain"}. The server parses the text safely; this file never evaluates it.

import { isAbort, postJSON } from "../api.js";
import { $, h } from "../dom.js";

export const CUSTOM = "custom";
export const DEFAULT_EXPR = "x**2 + 10*y**2 - 0.5*sin(3*x*y)";
export const DEFAULT_DOMAIN = { x: [-5, 5], y: [-5, 5] };
const DEBOUNCE_MS = 250;
const MAX_CHARS = 500;

/** The catalogue row for the picker: no params, no listed stationary points (the server finds them). */
export const CUSTOM_ENTRY = {
  name: CUSTOM, title: "Custom formula", formula: "", params: [], domain: DEFAULT_DOMAIN,
  default_start: [-3, 3], minima: [], saddles: [], maxima: [], constant_hessian: false,
};

/** Add the custom row to a catalogue once (the API's list has only the built-in surfaces). */
export function withCustom(catalog) {
  if (!catalog.surfaces.some((s) => s.name === CUSTOM)) catalog.surfaces.push(CUSTOM_ENTRY);
  return catalog;
}

export const domainOf = (s) => ({ x: s.fdx || DEFAULT_DOMAIN.x, y: s.fdy || DEFAULT_DOMAIN.y });

/** The API's surface reference for a state whose surface is "custom". */
export const customRef = (s) => ({ name: CUSTOM, expr: s.fexpr || DEFAULT_EXPR, domain: domainOf(s) });
/** The API surface reference of a page state: a registered surface with params, or the formula. */
export const surfaceRef = (s) => (s.surface === CUSTOM ? customRef(s) : { name: s.surface, params: { ...s.sp } });

/** The start the server would pick: 20% in from the left, 20% down from the top of the domain. */
export function defaultStart(s) {
  const { x, y } = domainOf(s);
  const r = (v) => Number(v.toPrecision(6));
  return [r(x[0] + 0.2 * (x[1] - x[0])), r(y[1] - 0.2 * (y[1] - y[0]))];
}

const inside = ([px, py], { x, y }) => px >= x[0] && px <= x[1] && py >= y[0] && py <= y[1];

// ∂ labels of the derivatives the server sends, in display order
const ROWS = [["fx", "∂f/∂x"], ["fy", "∂f/∂y"], ["fxx", "∂²f/∂x²"], ["fxy", "∂²f/∂x∂y"], ["fyy", "∂²f/∂y²"]];

export class FormulaBox {
  constructor({ root, store }) {
    Object.assign(this, { root, store });
    this.el = {
      box: $("#formula-box", root), input: $("#formula-input", root), status: $("#formula-status", root),
      error: $("#formula-error", root), derivs: $("#formula-derivs", root),
      xlo: $("#formula-xlo", root), xhi: $("#formula-xhi", root), ylo: $("#formula-ylo", root), yhi: $("#formula-yhi", root),
    };
    this.timer = null;
    this.ac = null;
    this.checked = null; // key of the last text + domain the server answered for
    this.wire();
  }

  wire() {
    const e = this.el;
    e.input.maxLength = MAX_CHARS + 20; // the server names the column past 500; more is pointless
    e.input.addEventListener("input", () => this.schedule());
    e.input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); this.check(); } });
    for (const k of ["xlo", "xhi", "ylo", "yhi"]) e[k].addEventListener("input", () => this.schedule());
  }

  show(on) {
    this.el.box.hidden = !on;
    if (!on) { clearTimeout(this.timer); this.ac?.abort(); }
  }

  /** Mirror the store into the inputs when the store's formula changed (never over what the user types). */
  render(state) {
    const e = this.el;
    const expr = state.fexpr || DEFAULT_EXPR;
    const d = domainOf(state);
    const key = JSON.stringify([expr, d]);
    if (key === this.shownKey || e.box.contains(document.activeElement)) return;
    this.shownKey = key;
    e.input.value = expr;
    [e.xlo.value, e.xhi.value, e.ylo.value, e.yhi.value] = [d.x[0], d.x[1], d.y[0], d.y[1]].map(String);
    this.check();
  }

  schedule() {
    clearTimeout(this.timer);
    this.el.box.dataset.state = "pending";
    this.el.status.textContent = "checking…";
    this.timer = setTimeout(() => this.check(), DEBOUNCE_MS);
  }

  readDomain() {
    const e = this.el;
    const v = [e.xlo, e.xhi, e.ylo, e.yhi].map((i) => (i.value.trim() === "" ? NaN : Number(i.value)));
    if (!v.every(Number.isFinite)) return { error: "the domain needs four numbers" };
    if (!(v[0] < v[1])) return { error: `x range: lo must be below hi (got ${v[0]} … ${v[1]})` };
    if (!(v[2] < v[3])) return { error: `y range: lo must be below hi (got ${v[2]} … ${v[3]})` };
    return { domain: { x: [v[0], v[1]], y: [v[2], v[3]] } };
  }

  async check() {
    clearTimeout(this.timer);
    const text = this.el.input.value;
    const { domain, error } = this.readDomain();
    if (error) { this.showError({ message: error }, text, true); return; }
    const key = JSON.stringify([text, domain]);
    if (key === this.checked && this.el.box.dataset.state !== "pending") return;
    this.ac?.abort();
    const ac = new AbortController();
    this.ac = ac;
    this.el.box.dataset.state = "pending";
    try {
      const out = await postJSON("/api/formula", { expr: text, domain }, { signal: ac.signal });
      if (ac !== this.ac) return;
      this.checked = key;
      this.showOk(out);
      this.apply(out);
    } catch (err) {
      if (isAbort(err) || ac !== this.ac) return;
      this.checked = key;
      const d = Array.isArray(err.detail) ? err.detail[0] : null;
      if (d?.type === "formula_error") this.showError(d, text, false);
      else this.showError({ message: err.message }, text, true);
    }
  }

  /** Write a valid formula to the store (only when it changes the scene). */
  apply(out) {
    const s = this.store.get();
    const same = s.surface === CUSTOM && (s.fexpr || DEFAULT_EXPR) === out.expr
      && JSON.stringify(domainOf(s)) === JSON.stringify(out.surface.domain);
    if (same) return;
    this.store.update((d) => {
      d.surface = CUSTOM; d.sp = {};
      d.fexpr = out.expr; d.fdx = out.surface.domain.x; d.fdy = out.surface.domain.y;
      // the server moves its default start to where f is defined (log(x) + y**2 starts at x > 0)
      const nominal = defaultStart(d);
      const atNominal = d.start[0] === nominal[0] && d.start[1] === nominal[1];
      if (!inside(d.start, out.surface.domain) || atNominal) d.start = out.default_start ? [...out.default_start] : nominal;
    });
  }

  showOk(out) {
    const e = this.el;
    e.box.dataset.state = "ok";
    e.input.removeAttribute("aria-invalid");
    e.error.hidden = true;
    e.error.replaceChildren();
    e.status.textContent = out.constant_hessian ? "✓ quadratic: constant Hessian" : "✓ valid";
    const d = out.derivatives;
    const rows = ROWS.map(([k, label]) => [h("dt", {}, label), h("dd", { "data-testid": `deriv-${k}` }, h("code", {}, d[k]))]);
    const st = out.stationary?.[0];
    if (st) rows.push([h("dt", {}, st.kind), h("dd", { "data-testid": "deriv-stationary" }, h("code", {}, `(${st.x}, ${st.y})`))]);
    e.derivs.replaceChildren(...rows.flat());
    e.derivs.hidden = false;
  }

  /** The text again with the culprit column underlined, a caret under it and the message. */
  showError(detail, text, domainOnly) {
    const e = this.el;
    e.box.dataset.state = "error";
    e.status.textContent = "✗ not used";
    e.derivs.hidden = true;
    if (domainOnly || !detail.column) {
      e.input.removeAttribute("aria-invalid");
      e.error.replaceChildren(h("p", { class: "formula-msg", "data-testid": "formula-message" }, detail.message || detail.msg));
    } else {
      e.input.setAttribute("aria-invalid", "true");
      const col = detail.column; // 1-based; may be one past the end (an incomplete formula)
      const shown = text.length > MAX_CHARS + 20 ? text.slice(0, MAX_CHARS + 20) : text;
      const at = Math.min(col - 1, shown.length);
      const bad = shown.slice(at, at + 1) || " ";
      // one <pre> for the echo and the caret line, so they scroll together and stay aligned
      e.error.replaceChildren(
        h("pre", { class: "formula-echo", "aria-hidden": "true" },
          shown.slice(0, at), h("span", { class: "formula-bad", "data-testid": "formula-bad" }, bad), shown.slice(at + 1),
          "\n", h("span", { class: "formula-caret" }, " ".repeat(at) + "^")),
        h("p", { class: "formula-msg", "data-testid": "formula-message", "data-column": col },
          h("b", {}, `column ${col}`), ": ", detail.message || detail.msg));
    }
    e.error.hidden = false;
  }
}
