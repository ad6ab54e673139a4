// run.js — the streamed run, joined into the shape /api/run returns, plus derived series.

/** Start an accumulator from the stream's meta line. */
export function runFromMeta(meta, key) {
  return {
    key, done: false,
    surface: meta.surface, start: meta.start, steps: meta.steps, schedule: meta.schedule,
    theory: meta.theory || {},
    runs: meta.runs.map((r) => ({
      optimizer: r.optimizer, path: [], loss: [], grad_norm: [], lr: [], status: "running", steps_taken: 0,
    })),
  };
}

/** A whole POST /api/run answer as the same accumulator (done). */
export function runFromResponse(res) {
  return { done: true, surface: res.surface, start: res.start, steps: res.steps, schedule: res.schedule,
    theory: res.theory || {}, runs: res.runs };
}

/**
 * Surfaces and runs as they arrive (requests overlap while a slider is dragged): `pick` returns the newest
 * run whose surface is here, so contours and paths are always drawn as a matching pair. A surface with no
 * run is shown alone only when no run is on its way (e.g. the run was refused).
 */
export class Frames {
  constructor() { this.surfaces = new Map(); this.runs = new Map(); }

  surface(key, s) { this.surfaces.delete(key); this.surfaces.set(key, s); }

  run(r) { const old = this.runs.get(r.surfaceKey); if (!old || old.seq <= r.seq) this.runs.set(r.surfaceKey, r); }

  pick(runIdle) {
    let best = null;
    for (const r of this.runs.values()) if (this.surfaces.has(r.surfaceKey) && (!best || r.seq > best.seq)) best = r;
    let newest = null;
    for (const [key, s] of this.surfaces) if (!newest || s.seq > newest.seq) newest = { key, ...s };
    let frame = null;
    if (best) frame = { ...this.surfaces.get(best.surfaceKey), surfaceKey: best.surfaceKey, run: best };
    if (newest && runIdle && (!best || newest.seq > best.seq) && !this.runs.has(newest.key)) {
      frame = { ...newest, surfaceKey: newest.key, run: null };
    }
    if (!frame) return null;
    // forget what can no longer be shown: runs older than the frame's, surfaces older than its surface
    if (frame.run) for (const [k, r] of this.runs) if (r.seq < frame.run.seq) this.runs.delete(k);
    const keep = this.surfaces.get(frame.surfaceKey)?.seq ?? 0;
    for (const [k, s] of this.surfaces) if (s.seq < keep && !this.runs.has(k)) this.surfaces.delete(k);
    return frame;
  }
}

export function addChunk(run, chunk) {
  const r = run.runs[chunk.run];
  for (const p of chunk.path) r.path.push(p);
  for (const v of chunk.loss) r.loss.push(v);
  for (const v of chunk.grad_norm) r.grad_norm.push(v);
  for (const v of chunk.lr) r.lr.push(v);
  // an optimizer's second line (ASGD's average, Schedule-Free's evaluation point) and L-BFGS's evaluation count
  for (const key of ["aux_path", "func_evals"]) if (chunk[key]) (r[key] = r[key] || []).push(...chunk[key]);
  r.steps_taken = Math.max(0, r.path.length - 1);
}

/** Apply the done line: status, steps_taken and measured_rate (also copied into theory.runs). */
export function finishRun(run, done) {
  done.runs.forEach((d, i) => {
    Object.assign(run.runs[i], d);
    if (run.theory.runs && run.theory.runs[i] && "measured_rate" in d) run.theory.runs[i].measured_rate = d.measured_rate;
  });
  run.done = true;
}

/** The /api/run response shape (for the JSON export and window.__losslab.lastRun consumers). */
export function asResponse(run) {
  return {
    surface: run.surface, start: run.start, steps: run.steps, schedule: run.schedule,
    runs: run.runs.map((r) => ({
      optimizer: r.optimizer, path: r.path, loss: r.loss, grad_norm: r.grad_norm, lr: r.lr,
      status: r.status, steps_taken: r.steps_taken,
      ...(r.aux_path ? { aux_path: r.aux_path } : {}), ...(r.func_evals ? { func_evals: r.func_evals } : {}),
      ...(r.measured_rate !== undefined ? { measured_rate: r.measured_rate } : {}),
    })),
    theory: run.theory,
  };
}

/** Distance from each iterate to the nearest of `targets` ([{x, y}]); null when there are none. */
export function distances(path, targets) {
  if (!targets.length) return null;
  return path.map(([x, y]) => {
    if (x === null || y === null) return null;
    let best = Infinity;
    for (const t of targets) best = Math.min(best, Math.hypot(x - t.x, y - t.y));
    return best;
  });
}

/** Where a path leaves the box [xlo, xhi] × [ylo, yhi]: the first crossing point, else its last point (clamped). */
export function exitPoint(path, domain) {
  const [xlo, xhi] = domain.x; const [ylo, yhi] = domain.y;
  const inside = ([x, y]) => x >= xlo && x <= xhi && y >= ylo && y <= yhi;
  for (let t = 1; t < path.length; t++) {
    const a = path[t - 1]; const b = path[t];
    if (inside(a) && !inside(b)) {
      if (!(Number.isFinite(b[0]) && Number.isFinite(b[1]))) return { x: a[0], y: a[1], t }; // overflowed to null
      // largest s in [0, 1] with a + s (b − a) inside the box
      let s = 1;
      const dx = b[0] - a[0]; const dy = b[1] - a[1];
      if (dx > 0) s = Math.min(s, (xhi - a[0]) / dx); if (dx < 0) s = Math.min(s, (xlo - a[0]) / dx);
      if (dy > 0) s = Math.min(s, (yhi - a[1]) / dy); if (dy < 0) s = Math.min(s, (ylo - a[1]) / dy);
      return { x: a[0] + s * dx, y: a[1] + s * dy, t };
    }
  }
  // never inside-then-outside (it stayed in, or started outside): the last point, clamped to the box
  const last = path[path.length - 1];
  if (!last) return null;
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return { x: clamp(last[0], xlo, xhi), y: clamp(last[1], ylo, yhi), t: path.length - 1 };
}

/**
 * The points drawn for a run: a diverged path stops where it leaves the domain, at its ✕, so its wild
 * swings never cover the other paths nor stretch an axis (a path that starts outside is drawn as is).
 */
export function drawnPath(r, domain) {
  if (r.status !== "diverged" || !domain || !r.path.length) return r.path;
  const e = exitPoint(r.path, domain);
  const [x0, y0] = r.path[0];
  const startsInside = x0 >= domain.x[0] && x0 <= domain.x[1] && y0 >= domain.y[0] && y0 <= domain.y[1];
  if (!e || !startsInside || e.t >= r.path.length - 1) return r.path;
  return [...r.path.slice(0, e.t), [e.x, e.y]];
}

/** CSV of every path: run,label,optimizer,t,x,y,loss,grad_norm,lr. */
export function pathsCsv(run, names) {
  const rows = ["run,label,optimizer,t,x,y,loss,grad_norm,lr"];
  const cell = (v) => (v === null || v === undefined ? "" : String(v));
  const quote = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  run.runs.forEach((r, i) => {
    r.path.forEach((p, t) => {
      rows.push([i, quote(names[i] || r.optimizer.label), r.optimizer.name, t, cell(p[0]), cell(p[1]),
        cell(r.loss[t]), cell(r.grad_norm[t]), cell(r.lr[t])].join(","));
    });
  });
  return rows.join("\n") + "\n";
}
