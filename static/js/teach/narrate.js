// teach/narrate.js — the numbers of one update and the sentences that explain it. Pure functions.
//
// Inputs: one row of POST /api/run's `details` (engine/details.py: grad, gd_step, update, momentum,
// effective_lr, textbook_point), the path and loss around it, and /api/point at the iterate x_t
// (∇f, eigenvalues ascending, unit eigenvectors). Every number the narration shows is computed here from
// those, so it agrees with the API by construction:
//   valley angle   = angle between the line of the λmin eigenvector and −g (g = the gradient the step used)
//   momentum share = (momentum · update) / |update|²   (gd_step + momentum = update)
//   offset factor  = 1 + λ_i (update · u_i) / (∇f · u_i): in the local quadratic model the offset from the
//                    stationary point along u_i is α_i = (∇f · u_i)/λ_i, and the step multiplies it by this
//                    (for GD exactly 1 − ηλ_i, docs/theory.md 7.29)

import { fmt } from "../dom.js";

export const ADAPTIVE = new Set(["adam", "adamw", "rmsprop", "adagrad", "adadelta"]);
export const SGD_FAMILY = new Set(["gd", "momentum", "nesterov"]);
const SUB = ["₁", "₂"];

export const dot = (a, b) => a[0] * b[0] + a[1] * b[1];
export const norm = (a) => Math.hypot(a[0], a[1]);
export const isVec = (v) => Array.isArray(v) && Number.isFinite(v[0]) && Number.isFinite(v[1]);
const deg = (rad) => (rad * 180) / Math.PI;

/** Angle in degrees between vectors u and v (0…180), or null when either is zero. */
export function angle(u, v) {
  const nu = norm(u); const nv = norm(v);
  if (!(nu > 0) || !(nv > 0)) return null;
  return deg(Math.acos(Math.max(-1, Math.min(1, dot(u, v) / (nu * nv)))));
}

/** Angle in degrees between the line along `axis` (either sign) and the vector v (0…90). */
export function lineAngle(axis, v) {
  const a = angle(axis, v);
  return a === null ? null : Math.min(a, 180 - a);
}

/** Offset factors along each eigenvector (see the header), null where the model says nothing. */
export function offsetFactors(update, geom) {
  const lams = geom.eigenvalues; const vecs = geom.eigenvectors; const grad = geom.grad;
  if (!isVec(update) || !isVec(grad) || !vecs?.every(isVec)) return [null, null];
  const top = Math.max(...lams.map((l) => Math.abs(l ?? 0)));
  const gn = norm(grad);
  return lams.map((lam, i) => {
    const gi = dot(grad, vecs[i]);
    if (!(Math.abs(lam) > 1e-9 * top) || !(Math.abs(gi) > 1e-9 * gn) || !(gn > 0)) return null;
    return 1 + (lam * dot(update, vecs[i])) / gi;
  });
}

/**
 * Everything the arrows and the narration need for iterate t.
 * `run` = one entry of /api/run's runs (with `details`), `geom` = /api/point at path[t] (or null while loading).
 */
export function stepNumbers(run, t, geom) {
  const d = run.details;
  const name = run.optimizer.name;
  const rows = d ? d.steps : 0;
  const n = { t, name, lr: run.lr[t] ?? run.optimizer.lr, x: run.path[t], f: run.loss[t], last: t >= rows,
    steps: rows, status: run.status, pathLen: run.path.length, path: run.path, geom };
  if (n.last) return n;
  const pick = (key) => (d[key] ? d[key][t] : null);
  Object.assign(n, {
    next: run.path[t + 1], fNext: run.loss[t + 1], grad: pick("grad"), gdStep: pick("gd_step"), update: pick("update"),
    momentum: pick("momentum"), textbook: pick("textbook_point"), effLr: pick("effective_lr"),
  });
  const g = n.grad; const u = n.update;
  n.gradNorm = isVec(g) ? norm(g) : null;
  n.stepNorm = isVec(u) ? norm(u) : null;
  n.turn = isVec(g) && isVec(u) ? angle(u, [-g[0], -g[1]]) : null;
  n.share = isVec(n.momentum) && n.stepNorm > 0 ? dot(n.momentum, u) / dot(u, u) : null;
  n.stepAbs = isVec(u) ? [Math.abs(u[0]), Math.abs(u[1])] : null;
  n.stepRel = n.stepAbs && n.lr > 0 ? n.stepAbs.map((a) => a / n.lr) : null;
  n.lookDist = isVec(n.textbook) ? Math.hypot(n.x[0] - n.textbook[0], n.x[1] - n.textbook[1]) : null;
  if (geom && geom.eigenvectors?.every(isVec)) {
    const [l1, l2] = geom.eigenvalues;
    n.lams = [l1, l2];
    n.curvature = geom.curvature;
    n.trueGradNorm = isVec(geom.grad) ? norm(geom.grad) : null;
    n.factors = offsetFactors(u, geom);
    const negG = isVec(g) ? [-g[0], -g[1]] : null;
    if (negG && l1 > 0) { n.kappa = l2 / l1; n.valleyAngle = lineAngle(geom.eigenvectors[0], negG); }
    if (negG && l1 < 0) n.escapeAngle = lineAngle(geom.eigenvectors[0], negG);
  }
  return n;
}

/** How each adaptive method writes its per-coordinate step size (engine/details.py effective_lr). */
export function stepSizeSymbol(name) {
  if (name === "adadelta") return "η√(u+ε)/√(v+ε)";
  return name === "adam" || name === "adamw" ? "η/(√v̂+ε)" : "η/(√r+ε)";
}

// ---- sentences -------------------------------------------------------------------------------------
const b = (v, sig = 3) => `<b>${fmt(v, sig)}</b>`;
const pct = (v) => `<b>${Math.round(v * 100)} %</b>`;
const degText = (v) => `<b>${Math.round(v)}°</b>`;
const lam = (i) => `λ${SUB[i]}`;

function lossSentence(n) {
  if (!Number.isFinite(n.f) || !Number.isFinite(n.fNext)) return `f ${b(n.f, 4)} → ${b(n.fNext, 4)}.`;
  const change = n.f !== 0 ? (n.fNext - n.f) / Math.abs(n.f) : 0;
  const word = n.fNext <= n.f ? "f" : "f <b>rises</b>";
  return `${word} ${b(n.f, 4)} → ${b(n.fNext, 4)} (${change >= 0 ? "+" : "−"}${fmt(Math.abs(change) * 100, 2)} %).`;
}

function curvatureSentence(n) {
  const [l1, l2] = n.lams;
  if (n.curvature === "indefinite") {
    return `Curvature is <b>indefinite</b>: ${lam(0)} = ${b(l1)} &lt; 0 &lt; ${lam(1)} = ${b(l2)} — a saddle; the surface curves `
      + `down along the ${lam(0)} eigenvector.`;
  }
  if (n.curvature === "negative_definite") {
    return `Both curvatures are negative (${lam(0)} = ${b(l1)}, ${lam(1)} = ${b(l2)}): a hilltop; every direction leads down.`;
  }
  if (n.curvature === "singular") return `A zero curvature (${lam(0)} = ${b(l1)}, ${lam(1)} = ${b(l2)}): flat along one eigenvector.`;
  return `Curvature here: λ<sub>min</sub> = ${b(l1)}, λ<sub>max</sub> = ${b(l2)}, κ = ${b(n.kappa)}.`;
}

function angleSentence(n) {
  if (n.valleyAngle !== undefined && n.valleyAngle !== null) {
    if (n.kappa < 1.05) return `The bowl is nearly round (κ = ${b(n.kappa)}): −∇f points almost at the minimum.`;
    const a = n.valleyAngle;
    const gloss = a > 60 ? ": mostly across, hardly along the floor" : a < 30 ? ": nearly along the floor" : "";
    return `−∇f points ${degText(a)} across the valley axis (λ<sub>min</sub> eigenvector)${gloss}.`;
  }
  if (n.escapeAngle !== undefined && n.escapeAngle !== null) {
    return `−∇f is ${degText(n.escapeAngle)} from the escape direction (${lam(0)} &lt; 0 eigenvector)`
      + (n.escapeAngle > 80 ? ": the gradient hardly sees the way out." : ".");
  }
  return null;
}

/** Offset factors along the steep (λmax) and the shallow (λmin) eigenvector, or the escape direction. */
function factorSentences(n) {
  const out = [];
  if (!n.factors) return out;
  const gd = n.name === "gd";
  const [f1, f2] = n.factors;
  const [l1, l2] = n.lams;
  // GD's factor is exactly 1 − ηλ (docs/theory.md 7.29); name λ as the sentence does
  const pd = l1 > 0;
  const formula = (i) => (gd ? `1 − η${pd ? `λ<sub>${i ? "max" : "min"}</sub>` : lam(i)} = ` : "");
  if (l1 < 0 && f1 !== null) {
    out.push(["escape", { factor: f1 }, `${lam(0)} &lt; 0 direction: offset × ${formula(0)}${b(f1)}`
      + (Math.abs(f1) > 1 ? " — it grows: the iterate moves away from the saddle." : ".")]);
  }
  if (l2 > 0 && f2 !== null) {
    const what = f2 < -1 ? " — |factor| &gt; 1: the oscillation grows, <b>unstable</b>"
      : f2 < 0 ? " — <b>overshoots</b> to the other side (the zig-zag)"
        : f2 > 1 ? " — it grows" : " — shrinks, no overshoot";
    const steep = l1 > 0 ? "Steep eigenvector (λ<sub>max</sub>)" : `${lam(1)} direction`;
    out.push(["steep", { factor: f2 }, `${steep}: offset × ${formula(1)}${b(f2)}${what}.`]);
  }
  if (l1 > 0 && f1 !== null && n.kappa >= 1.05) {
    const slow = Math.abs(f1 - 1) < 0.005 ? " — hardly any progress along it" : f1 > 0.9 && f1 < 1 ? " — slow progress" : "";
    out.push(["floor", { factor: f1 }, `Valley floor (λ<sub>min</sub>): offset × ${formula(0)}${b(f1)}${slow}.`]);
  }
  return out;
}

function methodSentences(n) {
  const out = [];
  if (n.name === "momentum" || n.name === "nesterov") {
    if (n.share !== null) {
      const s = n.share;
      const text = s >= 0 ? `Momentum carries ${pct(s)} of this step, the new −η∇f ${pct(1 - s)}.`
        : `Momentum <b>opposes</b> this step (${pct(s)}): the velocity brakes against the gradient.`;
      out.push(["share", { share: s }, text]);
    }
    if (n.name === "nesterov" && n.lookDist !== null) {
      out.push(["look", { dist: n.lookDist }, `The gradient is taken at x<sub>t</sub>, Bishop's look-ahead point `
        + `w<sub>t</sub> + μΔw<sub>t−1</sub> (torch's iterate); the textbook point w<sub>t</sub> ◇ is ${b(n.lookDist)} behind.`]);
    }
  }
  if (ADAPTIVE.has(n.name) && isVec(n.effLr)) {
    const sym = stepSizeSymbol(n.name);
    out.push(["effective", { eff: n.effLr }, `Step sizes ${sym}: ${b(n.effLr[0])} (x), ${b(n.effLr[1])} (y) — each coordinate`
      + " scaled on its own."]);
    if (n.stepRel) {
      const signLike = n.stepRel.every((r) => r > 0.8 && r < 1.25);
      out.push(["sign", { steps: n.stepAbs, rel: n.stepRel }, `Steps |Δx| = ${b(n.stepAbs[0])}, |Δy| = ${b(n.stepAbs[1])}`
        + (signLike ? ": nearly sign(g)·η." : ` (${fmt(n.stepRel[0], 2)}·η, ${fmt(n.stepRel[1], 2)}·η).`)]);
    }
    if (n.turn !== null) {
      out.push(["turn", { turn: n.turn }, `The step is ${degText(n.turn)} off −∇f`
        + (n.turn > 5 ? ", set by the axes, not the valley: rotate the problem and it changes (GD's would not)." : ".")]);
    }
  }
  if (n.name === "newton") {
    const saddle = n.curvature === "indefinite";
    out.push(["newton", {}, `Newton's step −H⁻¹∇f jumps to the stationary point of the local quadratic model`
      + (saddle ? " — here a <b>saddle</b>, so Newton is drawn to it." : ".")]);
  }
  return out;
}

/**
 * The narration for `n` (from stepNumbers) as [key, values, html] triples: `values` are the raw numbers
 * the sentence shows (the page puts them in data-v so a test can compare them with the API).
 */
export function narrate(n, { label, gradNorm0 = null } = {}) {
  if (n.last) {
    if (n.t < n.pathLen - 1) {
      return [["beyond", {}, `Per-step details cover the first ${b(n.steps, 6)} updates (the API's limit); step back to see them.`]];
    }
    const why = n.status === "diverged" ? ", then it <b>diverged</b>" : n.status === "converged" ? ": converged" : "";
    return [["final", { f: n.f }, `Final iterate of ${label} after ${b(n.t, 6)} steps${why}: f = ${b(n.f, 4)}.`]];
  }
  const eta = /η/.test(label) ? "" : ` (η = ${b(n.lr)})`;
  const out = [["head", { f: n.f, fNext: n.fNext }, `<b>Step ${n.t} → ${n.t + 1}</b> of ${label}${eta}: ${lossSentence(n)}`]];
  if (!n.lams) return out.concat([["wait", {}, "Measuring the curvature at this iterate…"]]);
  out.push(["curv", { lams: n.lams }, curvatureSentence(n)]);
  const a = angleSentence(n);
  if (a) out.push(["angle", { angle: n.valleyAngle ?? n.escapeAngle ?? null }, a]);
  out.push(...methodSentences(n));
  if (n.name !== "newton") out.push(...factorSentences(n));
  const g0 = gradNorm0 > 0 ? gradNorm0 : 1;
  if (n.trueGradNorm !== null && n.trueGradNorm < 1e-3 * g0) {
    out.push(["stall", { grad: n.trueGradNorm }, `The gradient is tiny (|∇f| = ${b(n.trueGradNorm)}): near a stationary point the steps`
      + " shrink and progress stalls."]);
  }
  return out;
}
