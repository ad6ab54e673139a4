// theory.js — the theory panel. Every number and formula comes from the run's `theory` block, which
// engine/theory.py computes (derivations in docs/theory.md): the page keeps no copy of the formulas.

import { fmt, h } from "./dom.js";

export const hasSpectrum = (th) => th && Number.isFinite(th.lambda_max) && Number.isFinite(th.lambda_min);

/** The theory block's entry for optimizer i (eta_max_stable, stability_note, optimal, formulas), or {}. */
export const runTheory = (th, i) => th?.runs?.[i] || {};

/** Hyperparameters the "use optimal η/μ" buttons set for optimizer i, or null where theory gives none. */
export function optimalSettings(th, i) {
  const best = runTheory(th, i).optimal;
  if (!best) return null;
  return best.momentum === undefined ? { lr: best.lr } : { lr: best.lr, momentum: best.momentum };
}

const CURVATURE = {
  positive_definite: "positive definite — a bowl",
  negative_definite: "negative definite — a cap",
  indefinite: "indefinite — a saddle",
  singular: "singular — flat in some direction",
};
export const curvatureText = (c) => CURVATURE[c] || c || "—";

let formsOpen = false; // the closed forms' <details> keeps its state across re-renders

const escapeHtml = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The closed forms of optimizer i, each line with its numbers filled in (all from the server). */
function formLines(tr, mu) {
  const v = (x, sig = 3) => `<b>${fmt(x, sig)}</b>`;
  const f = tr.formulas;
  if (!f) return [];
  const lines = [escapeHtml(f.rate)];
  lines.push(tr.eta_max_stable == null ? `no stable η: ${escapeHtml(tr.stability_note || "—")}`
    : `stable iff ${escapeHtml(f.stable)} = ${v(tr.eta_max_stable)}` + (mu === undefined ? "" : ` (μ = ${fmt(mu)})`));
  const o = tr.optimal;
  if (o) {
    lines.push(`${escapeHtml(o.formula)}: η* = ${v(o.lr)}` + (o.momentum === undefined ? "" : `, μ* = ${v(o.momentum, 4)}`)
      + ` → ρ* = ${v(o.rate, 4)}`);
  }
  return lines.map((line) => line.replace(/λmax/g, "λ<sub>max</sub>").replace(/λmin/g, "λ<sub>min</sub>"));
}

const swatch = (color) => h("span", { class: "swatch", style: `--c:${color}` });

/** The measured column: the fitted rate, or what happened instead (diverged / still running). */
function measuredCell(r, tr, exact) {
  if (!r || r.status === "running") return h("td", { class: "num muted" }, "…");
  if (r.status === "diverged") {
    return h("td", { class: "num bad", title: `diverged at step ${r.steps_taken + 1}` }, `✕ step ${r.steps_taken + 1}`);
  }
  const mark = r.status === "converged" ? h("span", { class: "good", title: `converged after ${r.steps_taken} steps` }, "✓ ") : "";
  if (!exact) return h("td", { class: "num" }, mark, fmt(r.loss[r.loss.length - 1], 4));
  return h("td", { class: "num" }, mark, tr.measured_rate == null ? "—" : fmt(tr.measured_rate, 4));
}

/**
 * Fill the theory panel. `run` is the current (possibly streaming) run, `names`/`colors` per optimizer,
 * `start` the /api/point answer at the start (used when there is no closed form).
 */
export function renderTheory(el, { run, names, colors, start, onOptimal }) {
  el.replaceChildren();
  const th = run?.theory || {};
  const exact = hasSpectrum(th);
  const title = h("h2", { class: "card-title", id: "h-theory" }, exact ? "Theory vs measurement" : "Measurement",
    h("span", { class: "badge" }, exact ? "closed form" : "no closed form"));
  el.append(title);

  if (exact) {
    el.append(h("p", { class: "spectrum" },
      h("span", { html: `λ<sub>min</sub> = ${fmt(th.lambda_min)}` }),
      h("span", { html: `λ<sub>max</sub> = ${fmt(th.lambda_max)}` }),
      h("span", { html: `κ = ${fmt(th.kappa)}` }),
      th.eta_max_stable_gd == null ? h("span", { class: "bad" }, th.stability_note || "no stable η")
        : h("span", { html: `2/λ<sub>max</sub> = ${fmt(th.eta_max_stable_gd)}` })));
  } else if (start && start.f == null) { // e.g. log(x) + y**2 started at x < 0: say why every run "diverges"
    el.append(h("p", { class: "note bad", "data-testid": "start-undefined", role: "status" },
      "The start lies outside the function's domain: f is not defined (not finite) there, for example the log "
      + "or square root of a negative number, so every optimizer stops at its first step. Click the plot where "
      + "the surface is drawn to start there."));
  } else if (start) {
    const [l1, l2] = start.eigenvalues;
    const lmax = Math.max(Math.abs(l1 ?? 0), Math.abs(l2 ?? 0));
    el.append(h("p", { class: "note", html:
      `The Hessian changes from point to point, so there is no single rate. At the start `
      + `λ<sub>1</sub> = ${fmt(l1)}, λ<sub>2</sub> = ${fmt(l2)} (${curvatureText(start.curvature)}); `
      + (lmax > 0 ? `locally a GD step is stable for η &lt; 2/|λ|<sub>max</sub> = ${fmt(2 / lmax)}.` : "") }));
  }

  const rows = (run?.runs || []).map((r, i) => {
    const tr = th.runs?.[i] || {};
    const lr = r.optimizer.lr;
    return h("tr", {},
      h("th", { scope: "row", title: names[i] }, swatch(colors[i]), h("span", { class: "name" }, names[i])),
      h("td", { class: "num" }, fmt(lr)),
      exact ? h("td", { class: "num" + (tr.stable === false ? " bad" : "") }, tr.predicted_rate == null ? "—" : fmt(tr.predicted_rate, 4)) : null,
      measuredCell(r, tr, exact));
  });
  el.append(h("div", { class: "table-wrap" }, h("table", { class: "theory-table", "data-testid": "theory-table" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "optimizer"), h("th", { scope: "col", class: "num" }, "η"),
      exact ? h("th", { scope: "col", class: "num", title: "spectral radius of the linear iteration" }, "ρ theory") : null,
      exact ? h("th", { scope: "col", class: "num", title: "measured contraction per step of the distance to the minimum" }, "ρ measured")
        : h("th", { scope: "col", class: "num", title: "loss at the last iterate" }, "final f"))),
    h("tbody", {}, rows))));

  if (exact) {
    // one entry per distinct optimizer name, as its first run sees it
    const seen = new Set();
    const dl = h("dl", { class: "forms" });
    (run?.runs || []).forEach((r, i) => {
      const tr = runTheory(th, i);
      if (seen.has(r.optimizer.name) || !tr.formulas) return;
      seen.add(r.optimizer.name);
      dl.append(h("dt", {}, names[i]),
        h("dd", {}, ...formLines(tr, r.optimizer.momentum).map((line) => h("span", { class: "form-line", html: line }))));
    });
    const details = h("details", { class: "closed-forms", open: formsOpen },
      h("summary", {}, "Closed forms on a quadratic (Bishop 7.24–7.34)"), dl);
    details.addEventListener("toggle", () => { formsOpen = details.open; });
    el.append(details);
    if (onOptimal) {
      el.append(h("p", { class: "rate-note" },
        h("span", { html: "ρ: the distance to the minimum shrinks like ρ<sup>t</sup>" }),
        h("button", { type: "button", class: "btn small accent", onclick: onOptimal, "data-testid": "use-optimal",
          title: "η* (and μ*) of the quadratic's theory for GD, heavy ball and Nesterov."
            + " Adaptive methods (Adam, RMSprop, …) and Newton have no closed-form optimum." }, "Use optimal η/μ")));
    }
  }
}
