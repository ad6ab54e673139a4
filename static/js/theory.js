// theory.js — the quadratic's closed forms (THEORY.md, Bishop & Bishop ch. 7) and the theory panel.
//
// GD:        ρ(η) = max_i |1 − ηλ_i|, stable iff 0 < η < 2/λmax; η* = 2/(λmin + λmax), ρ* = (κ − 1)/(κ + 1)
// momentum:  z² − (1 + μ − ηλ)z + μ = 0, stable iff η < 2(1 + μ)/λmax;
//            μ* = ((√κ − 1)/(√κ + 1))², η* = 4/(√λmax + √λmin)², ρ* = (√κ − 1)/(√κ + 1)
// Nesterov:  z² − (1 + μ)(1 − ηλ)z + μ(1 − ηλ) = 0, stable iff η < 2(1 + μ)/((1 + 2μ)λmax)

import { fmt, h } from "./dom.js";

export const hasSpectrum = (th) => th && Number.isFinite(th.lambda_max) && Number.isFinite(th.lambda_min);

/** Largest stable η for a GD-family optimizer on a quadratic with top eigenvalue λmax, else null. */
export function etaMaxStable(name, mu, lamMax) {
  if (!(lamMax > 0)) return null;
  if (name === "gd") return 2 / lamMax;
  if (name === "momentum") return (2 * (1 + mu)) / lamMax;
  if (name === "nesterov") return (2 * (1 + mu)) / ((1 + 2 * mu) * lamMax);
  return null;
}

/**
 * The optimal step of THEORY.md: GD η* = 2/(λmin+λmax); momentum (Polyak) η* = 4/(√λmax+√λmin)²;
 * Nesterov (torch's iterates share the polynomial z² − (1+μ)(1−ηλ)z + μ(1−ηλ) of Lessard, Recht &
 * Packard 2016, whose optimal tuning on quadratics is) η* = 4/(3λmax + λmin).
 */
export function etaOptimal(name, th) {
  if (!hasSpectrum(th) || th.lambda_min <= 0) return null;
  if (name === "gd") return 2 / (th.lambda_min + th.lambda_max);
  if (name === "momentum") return 4 / (Math.sqrt(th.lambda_max) + Math.sqrt(th.lambda_min)) ** 2;
  if (name === "nesterov") return 4 / (3 * th.lambda_max + th.lambda_min);
  return null;
}

/** Optimizers with a closed-form optimum on a quadratic (the rest: none known, the button says so). */
export const HAS_OPTIMUM = ["gd", "momentum", "nesterov"];

/**
 * Hyperparameters the "use optimal η/μ" button sets, or null where theory gives none. Nesterov:
 * μ* = (√(3κ+1) − 2)/(√(3κ+1) + 2), rate ρ* = 1 − 2/√(3κ+1) (checked against the spectral radius).
 */
export function optimalSettings(name, th) {
  const lr = etaOptimal(name, th);
  if (lr === null) return null;
  if (name === "gd") return { lr };
  if (name === "nesterov") {
    const q = Math.sqrt(3 * (th.lambda_max / th.lambda_min) + 1);
    return { lr, momentum: (q - 2) / (q + 2) };
  }
  const s = Math.sqrt(th.lambda_max / th.lambda_min);
  return { lr, momentum: ((s - 1) / (s + 1)) ** 2 };
}

const CURVATURE = {
  positive_definite: "positive definite — a bowl",
  negative_definite: "negative definite — a cap",
  indefinite: "indefinite — a saddle",
  singular: "singular — flat in some direction",
};
export const curvatureText = (c) => CURVATURE[c] || c || "—";

let formsOpen = false; // the closed forms' <details> keeps its state across re-renders

const SUBMIN = "λ<sub>min</sub>"; const SUBMAX = "λ<sub>max</sub>";

/** The closed forms, each line with today's numbers filled in (mu = the μ the optimizer uses). */
function formLines(name, th, mu) {
  const v = (x, sig = 3) => `<b>${fmt(x, sig)}</b>`;
  if (name === "gd") {
    return [`ρ(η) = max<sub>i</sub> |1 − ηλ<sub>i</sub>|`,
      `stable iff η &lt; 2/${SUBMAX} = ${v(th.eta_max_stable_gd)}`,
      `η* = 2/(${SUBMIN} + ${SUBMAX}) = ${v(th.eta_opt_gd)} → ρ* = (κ − 1)/(κ + 1) = ${v(th.rate_opt_gd, 4)}`];
  }
  if (name === "momentum") {
    return [`per eigen-direction: z² − (1 + μ − ηλ)z + μ = 0, ρ = max |z|`,
      `stable iff η &lt; 2(1 + μ)/${SUBMAX} = ${v(etaMaxStable("momentum", mu, th.lambda_max))} (μ = ${fmt(mu)})`,
      `μ* = ((√κ − 1)/(√κ + 1))² = ${v(th.momentum_opt, 4)}, η* = 4/(√${SUBMAX} + √${SUBMIN})² = ${v(th.eta_opt_momentum)}`
        + ` → ρ* = (√κ − 1)/(√κ + 1) = ${v(th.rate_opt_momentum, 4)}`];
  }
  if (name === "nesterov") {
    return [`z² − (1 + μ)(1 − ηλ)z + μ(1 − ηλ) = 0 (torch's look-ahead iterates)`,
      `stable iff η &lt; 2(1 + μ)/((1 + 2μ)${SUBMAX}) = ${v(etaMaxStable("nesterov", mu, th.lambda_max))} (μ = ${fmt(mu)})`,
      ...(th.lambda_min > 0 ? [`η* = 4/(3${SUBMAX} + ${SUBMIN}) = ${v(etaOptimal("nesterov", th))}, μ* = (√(3κ+1) − 2)/(√(3κ+1) + 2) = `
        + `${v(optimalSettings("nesterov", th).momentum, 4)} → ρ* = 1 − 2/√(3κ+1) = ${v(1 - 2 / Math.sqrt(3 * th.kappa + 1), 4)}`] : [])];
  }
  return [];
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
      h("span", { html: `2/λ<sub>max</sub> = ${fmt(th.eta_max_stable_gd)}` })));
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
    const used = new Map();
    for (const r of run?.runs || []) if (!used.has(r.optimizer.name)) used.set(r.optimizer.name, r.optimizer.momentum ?? 0.9);
    if (!used.has("gd")) used.set("gd", 0);
    const dl = h("dl", { class: "forms" });
    for (const n of ["gd", "momentum", "nesterov"]) {
      if (!used.has(n)) continue;
      dl.append(h("dt", {}, { gd: "GD", momentum: "Momentum", nesterov: "Nesterov" }[n]),
        h("dd", {}, ...formLines(n, th, used.get(n)).map((line) => h("span", { class: "form-line", html: line }))));
    }
    const details = h("details", { class: "closed-forms", open: formsOpen },
      h("summary", {}, "Closed forms on a quadratic (Bishop 7.24–7.34)"), dl);
    details.addEventListener("toggle", () => { formsOpen = details.open; });
    el.append(details);
    if (onOptimal) {
      el.append(h("p", { class: "rate-note" },
        h("span", { html: "ρ: the distance to the minimum shrinks like ρ<sup>t</sup>" }),
        h("button", { type: "button", class: "btn small accent", onclick: onOptimal, "data-testid": "use-optimal",
          title: "GD: η* = 2/(λmin + λmax); Momentum: Polyak's η* and μ*; Nesterov: η* = 4/(3λmax + λmin) and its μ*."
            + " Adaptive methods (Adam, RMSprop, …) and Newton have no closed-form optimum." }, "Use optimal η/μ")));
    }
  }
}
