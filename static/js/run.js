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

export function addChunk(run, chunk) {
  const r = run.runs[chunk.run];
  for (const p of chunk.path) r.path.push(p);
  for (const v of chunk.loss) r.loss.push(v);
  for (const v of chunk.grad_norm) r.grad_norm.push(v);
  for (const v of chunk.lr) r.lr.push(v);
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
      status: r.status, steps_taken: r.steps_taken, ...(r.measured_rate !== undefined ? { measured_rate: r.measured_rate } : {}),
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
