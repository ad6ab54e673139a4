// views/networks-run.js — one training run of the Networks view, assembled from the NDJSON stream of
// POST /api/network/train/stream (meta, chunk lines per optimizer, done), and what it exports.

/** A run from the meta line: per-optimizer arrays that the chunk lines extend. */
export function runFromMeta(meta, key, opts) {
  const { type, runs, ...header } = meta;
  return {
    key, header, opts: opts.map((o) => ({ ...o })), step: 0, total: meta.steps, done: false, plane: null, decision: null,
    runs: runs.map((r) => ({
      optimizer: r.optimizer, status: "running", diverged_at: null, final: null,
      steps: [], loss: [], accuracy: [], sharpness: { steps: [], lam_max: [], eta: [], two_over_eta: [] },
    })),
  };
}

/** Append one chunk line ({run, step, total, steps, loss, accuracy, sharpness}) to its optimizer. */
export function addChunk(run, msg) {
  const r = run.runs[msg.run];
  r.steps.push(...msg.steps);
  r.loss.push(...msg.loss);
  if (msg.accuracy) r.accuracy.push(...msg.accuracy);
  for (const k of ["steps", "lam_max", "eta", "two_over_eta"]) r.sharpness[k].push(...(msg.sharpness?.[k] || []));
  run.step = Math.max(run.step, msg.step);
  run.total = msg.total;
  run.version = (run.version || 0) + 1;
}

/** The done line: statuses, final values, plane and decision grids. */
export function finishRun(run, msg) {
  msg.runs.forEach((o, i) => Object.assign(run.runs[i], o));
  run.plane = msg.plane;
  run.decision = msg.decision;
  run.step = run.total;
  run.done = true;
  run.version = (run.version || 0) + 1;
}

/** The run as POST /api/network/train returns it (what the JSON export and the test hooks show). */
export function asResponse(run) {
  if (!run) return null;
  const classification = run.header.dataset.task === "classification";
  return {
    ...run.header,
    runs: run.runs.map((r) => ({
      optimizer: r.optimizer, status: r.status, diverged_at: r.diverged_at, steps: r.steps, loss: r.loss,
      accuracy: classification ? r.accuracy : null, sharpness: r.sharpness, final: r.final,
    })),
    plane: run.plane, decision: run.decision, done: run.done,
  };
}

/** CSV: optimizer, step, loss, accuracy, λmax (where measured), 2/η. */
export function curvesCsv(run, names) {
  const rows = ["optimizer,step,loss,accuracy,lam_max,two_over_eta"];
  run.runs.forEach((r, i) => {
    const sharp = new Map(r.sharpness.steps.map((s, k) => [s, [r.sharpness.lam_max[k], r.sharpness.two_over_eta[k]]]));
    const name = `"${String(names[i]).replace(/"/g, '""')}"`;
    r.steps.forEach((s, k) => {
      const [lam, two] = sharp.get(s) || ["", ""];
      rows.push([name, s, r.loss[k] ?? "", r.accuracy[k] ?? "", lam ?? "", two ?? ""].join(","));
    });
  });
  return rows.join("\n") + "\n";
}

/** Frames of the decision-boundary slider: the snapshot steps, then the final step (deduplicated). */
export function decisionFrames(decision) {
  if (!decision?.runs?.length) return [];
  const first = decision.runs[0];
  const steps = first.snapshots.map((s) => s.step);
  if (!steps.length || steps[steps.length - 1] !== first.step) steps.push(first.step);
  return steps;
}

/** P(class 1) grid of run k at frame f (a run with fewer records, e.g. diverged early, shows its last). */
export function probAt(decision, k, f, frames) {
  const d = decision.runs.find((r) => r.run === k);
  if (!d) return null;
  if (f >= frames.length - 1) return d.prob;
  const step = frames[f];
  let snap = null; // the latest snapshot at or before the frame's step
  for (const s of d.snapshots) if (s.step <= step) snap = s;
  return (snap || d.snapshots[0])?.prob ?? d.prob;
}

/** In-plane extent of a projected path: max distance of its points from its first point, in weight units
 * (α, β times the direction norms; exact for orthonormal pca/hessian directions, nearly so for random ones). */
export function inPlaneExtent(path, norms) {
  const [n1, n2] = norms.map((v) => v ?? 1);
  let best = 0;
  for (let t = 0; t < path.alpha.length; t++) {
    if (path.alpha[t] === null || path.beta[t] === null) continue;
    const da = (path.alpha[t] - path.alpha[0]) * n1; const db = (path.beta[t] - path.beta[0]) * n2;
    best = Math.max(best, Math.hypot(da, db));
  }
  return best;
}

/** {max, mean} of a path's residuals (distance of the true weights from the plane). */
export function residualStats(path) {
  const r = path.residual.filter((v) => v !== null && Number.isFinite(v));
  if (!r.length) return { max: null, mean: null };
  return { max: Math.max(...r), mean: r.reduce((a, b) => a + b, 0) / r.length };
}
