// controls/slider.js — a labelled range + number pair; log or linear; optional stable band and η* tick.
//
// The band (η below the stability limit) is painted on the track with a CSS gradient, the optimum η*
// is a small tick above the track. Keyboard: the range input takes arrows/PageUp/Home/End as usual.

import { h, plain, roundSig } from "../dom.js";

let uid = 0;
const STEPS = 1000; // positions of a log slider

/**
 * slider({label, labelHtml, min, max, log, step, value, sig, onChange, testid, title}) →
 *   {el, set(value), setBand({hi, lo, opt}), value()}
 */
export function slider(o) {
  const id = `sl-${++uid}`;
  const log = !!o.log;
  const lo = log ? Math.log10(o.min) : o.min;
  const hi = log ? Math.log10(o.max) : o.max;
  const sig = o.sig ?? 3;
  const toPos = (v) => (log ? ((Math.log10(Math.max(v, o.min)) - lo) / (hi - lo)) * STEPS : v);
  const fromPos = (p) => (log ? roundSig(10 ** (lo + (p / STEPS) * (hi - lo)), sig) : Number(p));
  const frac = (v) => Math.min(1, Math.max(0, log ? (Math.log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo)));

  const range = h("input", {
    type: "range", id, min: log ? 0 : o.min, max: log ? STEPS : o.max, step: log ? 1 : (o.step ?? "any"),
    "data-testid": o.testid ? `${o.testid}-range` : null, "aria-describedby": o.title ? `${id}-d` : null,
  });
  const number = h("input", {
    type: "number", step: "any", class: "num-input", "aria-label": `${o.ariaLabel || o.label} value`,
    min: o.inputMin ?? o.min, max: o.inputMax ?? o.max, "data-testid": o.testid ? `${o.testid}-input` : null,
  });
  const tick = h("span", { class: "opt-tick", hidden: true, title: "η* (optimal)" });
  const track = h("div", { class: "track" }, range, tick);
  const label = h("label", { for: id, class: "slider-label", html: o.labelHtml || null }, o.labelHtml ? null : o.label);
  const el = h("div", { class: "slider", "data-testid": o.testid || null }, label, track, number,
    o.title ? h("span", { class: "sr-only", id: `${id}-d` }, o.title) : null);

  let current = o.value;
  let bandKey = null;
  const show = (v, fromRange = false) => {
    current = v;
    if (!fromRange) range.value = String(toPos(v));
    if (document.activeElement !== number) number.value = plain(v, sig + 2);
    range.setAttribute("aria-valuetext", `${o.ariaLabel || o.label} = ${plain(v, sig + 1)}`);
  };
  range.addEventListener("input", () => {
    const v = fromPos(Number(range.value));
    show(v, true);
    number.value = plain(v, sig + 2);
    o.onChange(v);
  });
  number.addEventListener("change", () => {
    const v = Number(number.value);
    if (number.value === "" || !Number.isFinite(v)) { show(current); return; }
    show(v);
    o.onChange(v);
  });
  show(o.value);

  return {
    el, range, number,
    value: () => current,
    set(v) { if (v !== current || document.activeElement !== range) show(v); },
    /** Shade the stable interval [min, hi) green and the rest red; tick at `opt`. null clears. */
    setBand(band) {
      // called on every store change: touch the DOM (a style recalculation) only when the band moved
      const key = band && band.hi > 0 ? `${band.hi}|${band.opt}|${band.text}|${band.optText}` : "";
      if (key === bandKey) return;
      bandKey = key;
      if (!band || !(band.hi > 0)) {
        range.style.removeProperty("--track");
        tick.hidden = true;
        el.classList.remove("has-band");
        return;
      }
      const f = (frac(band.hi) * 100).toFixed(2);
      range.style.setProperty("--track",
        `linear-gradient(to right, var(--stable) 0%, var(--stable) ${f}%, var(--unstable) ${f}%, var(--unstable) 100%)`);
      el.classList.add("has-band");
      range.title = band.text || "";
      if (band.opt > 0) {
        tick.hidden = false;
        tick.style.setProperty("--at", frac(band.opt).toFixed(4));
        tick.title = band.optText || "η*";
      } else tick.hidden = true;
    },
  };
}
