// teach/panel.js — the "Step by step" card beside the plot: optimizer picker, ⏮ ◀ ▶ ⏭, the arrow key,
// the live narration and, for adaptive methods, the per-coordinate step sizes as two small bar pairs.

import { fmt, h } from "../dom.js";
import { themeColor } from "../plots/common.js";
import { ARROW_COLORS } from "./arrows.js";
import { ADAPTIVE, SGD_FAMILY, stepSizeSymbol } from "./narrate.js";

const ICONS = {
  first: "M4 3v10M13 3 6 8l7 5z",
  prev: "M11 3 4 8l7 5z",
  next: "M5 3l7 5-7 5z",
  last: "M12 3v10M3 3l7 5-7 5z",
};
const TITLES = { first: "First iterate (Home)", prev: "Previous step (←)", next: "Next step (→)", last: "Last iterate (End)" };

const icon = (d) => `<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><path d="${d}"/></svg>`;

/** Build the panel's fixed parts inside `el`; `on(action)` receives "first" | "prev" | "next" | "last". */
export function buildPanel(el, { on, onPick, onClose }) {
  const select = h("select", { id: "step-opt", "data-testid": "step-opt", "aria-label": "Optimizer to step through" });
  select.addEventListener("change", () => onPick(Number(select.value)));
  const buttons = Object.fromEntries(Object.keys(ICONS).map((k) => [k, h("button", {
    type: "button", class: "btn step-btn", "data-go": k, "data-testid": `step-${k}`, title: TITLES[k],
    "aria-label": TITLES[k].replace(/ \(.*\)/, ""), onclick: () => on(k), html: icon(ICONS[k]) })]));
  const tLabel = h("output", { class: "step-t", "data-testid": "step-t", "aria-live": "off" }, "t = 0");
  const key = h("ul", { class: "step-key", "aria-label": "What the arrows mean" });
  const narration = h("ol", { class: "narration", "data-testid": "narration", "aria-live": "polite" });
  const bars = h("div", { class: "step-bars", "data-testid": "step-bars" });
  el.replaceChildren(
    h("h2", { class: "card-title", id: "h-step" }, "Step by step",
      h("button", { type: "button", class: "btn icon step-close", title: "Leave step-by-step mode", "aria-label": "Leave step-by-step mode",
        onclick: onClose }, "×")),
    h("div", { class: "step-bar" }, select, tLabel),
    h("div", { class: "step-buttons", role: "group", "aria-label": "Move through the run" }, ...Object.values(buttons)),
    key, bars, narration,
    h("p", { class: "hint step-hint" }, h("kbd", {}, "←"), " ", h("kbd", {}, "→"), " step (", h("kbd", {}, "Shift"), " ×10), ",
      h("kbd", {}, "Home"), " / ", h("kbd", {}, "End"),
      " — while the plot or this card has focus. In this mode a click on the plot focuses it instead of moving the start."));
  return { select, buttons, tLabel, key, narration, bars };
}

export function fillSelect(select, names, colors, index) {
  const sig = names.join("|");
  if (select.dataset.sig !== sig) {
    select.dataset.sig = sig;
    select.replaceChildren(...names.map((n, i) => h("option", { value: String(i) }, n)));
  }
  select.value = String(index);
  select.style.setProperty("--c", colors[index]);
}

// the key is HTML, not a Plotly figure: map the arrow colours to the theme here (display.js's table)
const keyItem = (cls, color, html) => h("li", { style: `--c:${themeColor(color)}` },
  h("span", { class: `key-mark ${cls}`, "aria-hidden": "true" }), h("span", { html }));

/** The legend of the overlay for this method. */
export function renderKey(ul, name, color) {
  const items = [];
  if (name === "gd") items.push(keyItem("arrow", color, "update = −η∇f"));
  else if (SGD_FAMILY.has(name)) {
    items.push(keyItem("arrow", ARROW_COLORS.grad, "−η∇f"), keyItem("arrow", ARROW_COLORS.momentum, "momentum"),
      keyItem("arrow", color, "update"));
  } else items.push(keyItem("arrow thin", ARROW_COLORS.grad, "−∇f direction"), keyItem("arrow", color, "update"));
  if (name === "nesterov") items.push(keyItem("diamond", color, "textbook point w<sub>t</sub>"), keyItem("dots", color, "look-ahead"));
  items.push(keyItem("ring", color, "x<sub>t</sub>"), keyItem("open", color, "x<sub>t+1</sub>"),
    keyItem("axes", ARROW_COLORS.axes, "Hessian axes at x<sub>t</sub>"));
  ul.replaceChildren(...items);
}

export function renderNarration(ol, sentences) {
  ol.replaceChildren(...sentences.map(([k, values, html]) => h("li", {
    "data-k": k, "data-v": JSON.stringify(values), html })));
}

/** Two horizontal bars (x, y) scaled to `top`; an optional reference mark `ref` = {value, label}. */
function barPair({ title, values, top, color, ref, testid, fmtv = (v) => fmt(v, 3) }) {
  const pctOf = (v) => `${Math.max(0, Math.min(100, (100 * v) / top))}%`;
  const rows = ["x", "y"].map((axis, i) => h("div", { class: "bar-row" },
    h("span", { class: "bar-axis" }, axis),
    h("span", { class: "bar-track" },
      h("span", { class: "bar", style: `width:${pctOf(values[i])};--c:${color}` }),
      ref ? h("span", { class: "bar-ref", style: `left:${pctOf(ref.value)}`, title: ref.label }) : null),
    h("span", { class: "bar-val", "data-v": String(values[i]) }, fmtv(values[i]))));
  return h("figure", { class: "bars", "data-testid": testid },
    h("figcaption", { html: title + (ref ? ` <span class="bar-ref-key">┆ ${ref.label}</span>` : "") }), ...rows);
}

/** The bar pairs for adaptive methods (nothing for the SGD family: its step size is η in both coordinates). */
export function renderBars(el, n, color) {
  if (!n || n.last || !ADAPTIVE.has(n.name) || !n.effLr || !n.stepAbs) { el.replaceChildren(); return; }
  const eff = barPair({ title: `step size ${stepSizeSymbol(n.name)}`, values: n.effLr, top: Math.max(...n.effLr) * 1.05,
    color, testid: "bars-eff" });
  const top = Math.max(...n.stepAbs, n.lr) * 1.12;
  const step = barPair({ title: "step taken |Δ|", values: n.stepAbs, top, color, testid: "bars-step",
    ref: { value: n.lr, label: `η = ${fmt(n.lr)}` } });
  el.replaceChildren(eff, step);
}
