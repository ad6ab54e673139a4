// views/paths-legend.js — the Paths view's legend (one item per run, with its status, and keys for the marks)
// and its title (the surface's name and parameters, the step charts' units).

import { fmt, h } from "../dom.js";
import { distTargets, lossOffset } from "../plots/series.js";

const PARAM_NAME = { kappa: "κ", theta: "θ", lam_min: "λ<sub>min</sub>" };

/** One item per run of `run` (name, colour, status or final f), then keys for the marks `info` (the surface) has. */
export function renderLegend(el, run, names, colors, surface) {
  const info = surface || {};
  const items = (run?.runs || []).map((r, i) => {
    const last = r.loss[r.loss.length - 1];
    const status = r.status === "diverged" ? h("span", { class: "status bad" }, `✕ diverged at step ${r.steps_taken + 1}`)
      : r.status === "converged" ? h("span", { class: "status good" }, `✓ converged · ${r.steps_taken} steps`)
        : r.status === "running" ? h("span", { class: "status muted" }, "running…")
          : h("span", { class: "status", html: `f = ${fmt(last, 3)}` });
    return h("li", { style: `--c:${colors[i]}`, "data-testid": "legend-item", "data-status": r.status },
      h("span", { class: "legend-line", "aria-hidden": "true" }), h("span", { class: "legend-name" }, names[i]), status);
  });
  // keys for the marks that are not optimizers
  const key = (sym, text, title) => h("li", { class: "legend-key", title }, h("span", { class: "key-sym", "aria-hidden": "true" }, sym), text);
  if (info.minima?.length) items.push(key("★", "minimum", "stationary point with a positive definite Hessian"));
  if (info.saddles?.length && info.saddles.length <= 40) items.push(key("✕", "saddle", "stationary point with an indefinite Hessian"));
  items.push(key("⟷", "Hessian axes ∝ |λ|", "eigenvectors of the Hessian, drawn both ways, length proportional to |λ|; red where λ < 0"));
  el.replaceChildren(...items);
}

/** `el` = {title, sub, lossUnit, distTarget}: the surface's name and parameters, the step charts' units. */
export function renderTitle(el, info, st) {
  el.title.textContent = info.title;
  const parts = info.params.map((p) => {
    const val = st.sp[p.name] ?? p.default;
    return `${PARAM_NAME[p.name] || p.name} = ${fmt(val, 4)}${p.name === "theta" ? "°" : ""}`;
  });
  el.sub.innerHTML = parts.join(" · ") || "no parameters";
  el.lossUnit.textContent = lossOffset(info) === null ? "f (no minimum)" : "f − f*, log scale";
  el.distTarget.textContent = distTargets(info).label;
}
