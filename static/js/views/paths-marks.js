// views/paths-marks.js — what the Paths view moves in place on figures already drawn, without rebuilding any:
// the scrubber's "now" markers and time hairlines, and the Hessian's eigen-axes under the cursor.

import { plotly, timeShape, traceIndex } from "../plots/common.js";
import { arrowLengths, indexAt, nowTrace } from "../plots/contour.js";
import { seriesFor, valueAt } from "../plots/series.js";

/** Move the "now" markers and the time hairlines of renderer `r`'s figures to step t. */
export function moveTime(r, t) {
  const sh = r.shown;
  if (!sh?.run) return;
  if (r.syncPending) { r.schedule(); return; } // the live canvas draws the markers; the sync follows
  const P = plotly();
  const now = nowTrace(sh.run, sh.colors, t);
  const gd = r.el.contour;
  const i = traceIndex(gd, "now");
  if (i >= 0) P.restyle(gd, { x: [now.x], y: [now.y], visible: [t < r.view.scrubber.max] }, [i]);
  if (!r.el.s3d.hidden && r.el.s3d.data) {
    const j = traceIndex(r.el.s3d, "now3d");
    const lv = r.levels3d;
    const lift = (lv.hi - lv.lo) * 0.006;
    const z = sh.run.runs.map((run) => (run.path.length ? lv.fwd(run.loss[indexAt(run, t)]) + lift : null));
    if (j >= 0) P.restyle(r.el.s3d, { x: [now.x], y: [now.y], z: [z] }, [j]);
  }
  for (const c of r.charts) {
    const k = traceIndex(c.gd, "now");
    const ys = sh.run.runs.map((run) => seriesFor(run, c.kind, sh.info));
    if (k >= 0) {
      P.update(c.gd, { x: [ys.map((y) => Math.min(t, y.length - 1))], y: [ys.map((y) => valueAt(y, t))] },
        { shapes: [timeShape(t)] }, [k]);
    }
  }
}

/** Eigen-axes through the cursor at `at` (∝ |λ|; dotted where λ < 0) on renderer `r`'s figure; g = null clears them. */
export function drawCursor(r, g, at) {
  const gd = r.el.contour; const sh = r.shown;
  if (!gd.data || !sh || r.live.active) return; // a restyle would redraw the stale figure under the canvas
  const idx = [traceIndex(gd, "cursor-1"), traceIndex(gd, "cursor-2")];
  if (idx.some((i) => i < 0)) return;
  // clearing axes that are not drawn is free; a restyle would redraw the whole paths' figure
  if (!g && idx.every((i) => !gd.data[i].x?.length)) return;
  const d = sh.info.domain;
  const full = 0.09 * Math.min(d.x[1] - d.x[0], d.y[1] - d.y[0]);
  const ok = g && g.eigenvectors?.every((e) => e && e[0] !== null);
  const lens = ok ? arrowLengths(g.eigenvalues, full) : [0, 0];
  const xs = []; const ys = []; const dash = [];
  [0, 1].forEach((i) => {
    if (!ok || !lens[i]) { xs.push([]); ys.push([]); dash.push("solid"); return; }
    const e = g.eigenvectors[i];
    xs.push([at[0] - e[0] * lens[i], at[0] + e[0] * lens[i]]);
    ys.push([at[1] - e[1] * lens[i], at[1] + e[1] * lens[i]]);
    dash.push(g.eigenvalues[i] < 0 ? "dot" : "solid");
  });
  plotly().restyle(gd, { x: xs, y: ys, "line.dash": dash }, idx);
}
