// dom.js — tiny DOM and number-formatting helpers shared by every view.

/** h("div", {class: "x", onclick: fn}, child, "text") → element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "html") el.innerHTML = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Round to `sig` significant digits (keeps URLs and labels tidy). */
export function roundSig(v, sig = 3) {
  if (!Number.isFinite(v) || v === 0) return v;
  return Number(v.toPrecision(sig));
}

/** A compact human number: 0.03, 1.2e-5, 351.2, −0.004. */
export function fmt(v, sig = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  let s;
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(Math.max(0, sig - 1)).split("e");
    s = `${Number(m)}×10${superscript(Number(e))}`;
  } else {
    s = String(Number(v.toPrecision(sig)));
  }
  return s.replace(/^-/, "−");
}

const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
export const superscript = (n) => String(n).split("").map((c) => SUP[c] ?? c).join("");

/** Plain (ASCII) number for inputs and URLs. */
export const plain = (v, sig = 6) => (Number.isFinite(v) ? String(roundSig(v, sig)) : "");

export function download(filename, text, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
