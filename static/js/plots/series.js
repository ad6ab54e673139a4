// plots/series.js — loss, distance-to-minimum and learning-rate charts over steps, one line per optimizer.

import { distances } from "../run.js";
import { chartLayout, timeShape } from "./common.js";

const FLOOR = 1e-16;
// what the axes' automargin makes of these charts' usual labels (10⁻⁸ ticks, the y title): starting there, the
// first draw is one pass instead of two (Plotly redraws a chart whose margins grew); wider labels still widen it
const MARGIN = { l: 57, r: 10, t: 6, b: 39 }; // log axes: f − f* at machine precision is drawn at this floor

/** Per-run y series for one chart kind, cached on the run object (same arrays → cheap Plotly.react). */
export function seriesFor(run, kind, info) {
  run._series = run._series || {};
  const key = `${kind}:${run.path.length}:${info.name}:${JSON.stringify(info.minima?.length)}`;
  if (run._series[kind]?.key === key) return run._series[kind].y;
  let y;
  if (kind === "loss") {
    const fstar = lossOffset(info);
    y = run.loss.map((v) => (v === null ? null : fstar === null ? v : Math.max(v - fstar, FLOOR)));
  } else if (kind === "dist") {
    y = distances(run.path, distTargets(info).points)?.map((d) => (d === null ? null : Math.max(d, FLOOR))) || [];
  } else {
    y = run.lr;
  }
  run._series[kind] = { key, y };
  return y;
}

/** f* = the lowest listed minimum (global), or null when the surface lists none (then plot f, linear). */
export function lossOffset(info) {
  const m = info?.minima || [];
  return m.length ? Math.min(...m.map((p) => p.f)) : null;
}

/** What "distance to nearest …" measures: minima if any are known, else saddles. */
export function distTargets(info) {
  if (info?.minima?.length) return { points: info.minima, label: "minimum" };
  if (info?.saddles?.length) return { points: info.saddles, label: "saddle" };
  return { points: [], label: "minimum (none known)" };
}

const YAXIS = {
  loss: (info) => (lossOffset(info) === null ? { type: "linear", title: "f" } : { type: "log", title: "f − f*" }),
  dist: () => ({ type: "log", title: "‖x − x*‖" }),
  lr: () => ({ type: "log", title: "η·factor(t)" }),
};

/** y value at step t of a series (lr has one entry fewer than the path). */
export const valueAt = (y, t) => (y.length ? y[Math.max(0, Math.min(t, y.length - 1))] : null);

/** Log axes: one tick per decade (or every few) when the data spans several decades, else 1-2-5 ticks. */
function decadeTicks(data) {
  let lo = Infinity; let hi = -Infinity;
  for (const tr of data) for (const v of tr.y || []) if (v > 0) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const span = Math.log10(hi / lo);
  if (!Number.isFinite(span)) return undefined;
  if (span < 1.2) return "D2"; // under a decade: label 2 and 5 only, not every digit
  return Math.max(1, Math.ceil(span / 4));
}

/** {data, layout} for one chart kind. */
export function seriesFigure(kind, { run, info, names, colors, t, revision }) {
  const runs = run ? run.runs : [];
  const data = [];
  const now = { x: [], y: [], color: [] };
  const bad = { x: [], y: [], color: [] };
  let xmax = run ? run.steps : 1;
  runs.forEach((r, i) => {
    const y = seriesFor(r, kind, info);
    data.push({
      type: "scatter", mode: "lines", uid: `s-${i}`, name: names[i], y,
      line: { color: colors[i], width: 1.8, shape: kind === "lr" ? "hv" : "linear" },
      hovertemplate: `${names[i]}: %{y:.4g}<extra></extra>`,
    });
    const ti = Math.min(t, y.length - 1);
    now.x.push(ti); now.y.push(valueAt(y, t)); now.color.push(colors[i]);
    if (r.status === "diverged" && y.length) {
      bad.x.push(y.length - 1); bad.y.push(y[y.length - 1]); bad.color.push(colors[i]);
    }
  });
  if (bad.x.length) {
    data.push({ type: "scatter", mode: "markers", uid: "diverged", name: "diverged", x: bad.x, y: bad.y, hoverinfo: "skip",
      marker: { symbol: "x", size: 10, color: bad.color, line: { color: "#fff", width: 1 } } });
  }
  data.push({ type: "scatter", mode: "markers", uid: "now", name: "now", x: now.x, y: now.y, hoverinfo: "skip",
    marker: { size: 8, color: now.color, line: { color: "#fff", width: 1.5 } } });
  const ax = YAXIS[kind](info);
  if (ax.type === "log") ax.dtick = decadeTicks(data);
  xmax = Math.max(1, xmax);
  const layout = chartLayout({ ytype: ax.type, ytitle: ax.title, xmax, revision, shapes: [timeShape(t)], margin: { ...MARGIN } });
  if (ax.dtick) layout.yaxis.dtick = ax.dtick;
  return { data, layout };
}
