// optimizer-style.js — the one table of how an optimizer looks: its display name and its colour,
// keyed by the optimizer's API name (never by its position in a list), so Adam is the same pink in
// the Paths view, a lesson, a basin map, a phase diagram, the tuning table and the Networks view.
//
// Each colour has a light- and a dark-theme shade, chosen for WCAG AA non-text contrast (≥ 3:1)
// against every fill of that theme's contour scale and ≥ 4.5:1 against its card background
// (tests/e2e/test_a11y.py checks the pairs). Names the table does not know (new optimizers) get a
// deterministic fallback from EXTRA, picked by a hash of the name, so they never change colour
// between reloads or views.

export const STYLE = {
  gd: { name: "GD", light: "#0a5a9c", dark: "#5cb3ff" },
  momentum: { name: "Momentum", light: "#a33a00", dark: "#ff9a5c" },
  nesterov: { name: "Nesterov", light: "#006646", dark: "#3ddc97" },
  adam: { name: "Adam", light: "#a3246e", dark: "#ff8fd0" },
  adamw: { name: "AdamW", light: "#6a3d9a", dark: "#c39bff" },
  adagrad: { name: "AdaGrad", light: "#6e5200", dark: "#f0c93a" },
  rmsprop: { name: "RMSprop", light: "#005f6f", dark: "#4fd6e8" },
  adadelta: { name: "Adadelta", light: "#7d4a1c", dark: "#e0a872" },
  newton: { name: "Newton", light: "#3d3d3d", dark: "#e6e6e6" },
  adamax: { name: "Adamax", light: "#8a305a", dark: "#f2a2ca" },
  nadam: { name: "NAdam", light: "#8c2f2f", dark: "#ff8f8f" },
  radam: { name: "RAdam", light: "#4a3aa0", dark: "#aa9cff" },
  rprop: { name: "Rprop", light: "#2f5f1f", dark: "#9fe07f" },
  asgd: { name: "ASGD", light: "#1f4f70", dark: "#8ccaf2" },
  adafactor: { name: "Adafactor", light: "#5c4c00", dark: "#e2d272" },
  lion: { name: "Lion", light: "#99004d", dark: "#ff7ab8" },
  sgd_schedulefree: { name: "SF-SGD", light: "#00505a", dark: "#7fe0e0" },
  adamw_schedulefree: { name: "SF-AdamW", light: "#553377", dark: "#d0b0ff" },
};

/** Fallback shades for optimizers the table does not list yet (same contrast rules). */
export const EXTRA = [
  { light: "#7a3b2e", dark: "#ffab91" }, { light: "#3b5e2b", dark: "#b5e48c" }, { light: "#3f3f8f", dark: "#b3b3ff" },
  { light: "#7f2f6f", dark: "#f0a6e0" }, { light: "#5a5a1e", dark: "#dada8a" }, { light: "#2e5566", dark: "#9dd3e8" },
];

export const isDark = () => document.documentElement.dataset.theme === "dark";

/** A stable small hash of a name (FNV-1a), so a fallback colour never depends on list order. */
function hash(text) {
  let x = 2166136261;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 16777619) >>> 0;
  return x;
}

const entry = (name) => STYLE[name] || EXTRA[hash(String(name)) % EXTRA.length];

/** "adam" → "Adam"; an unknown name is shown as sent. */
export const displayName = (name) => STYLE[name]?.name || name;

/** The theme's base colour of an optimizer name. */
export const baseColor = (name, dark = isDark()) => entry(name)[dark ? "dark" : "light"];

function mix(hex, toward, t) {
  const p = (h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
  const a = p(hex); const b = p(toward);
  return "#" + a.map((v, k) => Math.round(v + (b[k] - v) * t).toString(16).padStart(2, "0")).join("");
}

/**
 * Colour of opts[i]: its optimizer's colour; a second (third, …) run of the same optimizer in the
 * list gets a deeper (light theme) or paler (dark theme) shade of it, so both stay recognisable as
 * "GD" and still differ. Signature matches Array.map: opts.map(colorOf).
 */
export function colorOf(opt, i = 0, opts = null) {
  const dark = isDark();
  const base = baseColor(opt.name, dark);
  const k = opts ? opts.slice(0, i).filter((o) => o.name === opt.name).length : 0;
  if (!k) return base;
  return mix(base, dark ? "#ffffff" : "#0b0f18", Math.min(0.7, 0.42 * k));
}

/** What "Use optimal η/μ" did: "Set η*, μ* for GD, Nesterov. No closed-form optimum for Adam." */
export function optimalNote(set, none) {
  const parts = [];
  if (set.length) parts.push(`Set the optimal η (and μ) for ${set.join(", ")}.`);
  if (none.length) parts.push(`No closed-form optimum for ${none.join(", ")}: left as they were.`);
  if (!set.length) parts.push("Optimal settings are known for GD, Momentum and Nesterov on a quadratic.");
  return parts.join(" ");
}
