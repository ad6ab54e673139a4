// views/paths-marks.js — what the Paths view moves in place on figures already drawn, without rebuilding any:
// the scrubber's "now" markers and time hairlines, and the Hessian's eigen-axes under the cursor.

import { INK, hexToRgba, plotly, themeColor, timeShape, traceIndex } from "../plots/common.js";
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

const SVG = "http://www.w3.org/2000/svg";
// axis 2 (the larger |λ|) the stronger, as the start's arrows; the figures' colour table themes both
const CURSOR_LINES = [{ color: hexToRgba(INK, 0.55), width: 1.5 }, { color: hexToRgba(INK, 0.8), width: 2 }];

/**
 * Eigen-axes through the cursor at `at` (∝ |λ|; dotted where λ < 0) over renderer `r`'s figure; g = null clears
 * them. Two SVG lines over the plot area (`[data-testid=cursor-axes]`), not traces of the figure: a restyle
 * redrew the whole paths' figure (~13 ms at every hover answer, and skipped while the live canvas was up).
 */
export function drawCursor(r, g, at) {
  const gd = r.el.contour; const sh = r.shown;
  const fl = gd._fullLayout;
  const layer = r.cursorAxes || (r.cursorAxes = cursorLayer(gd));
  const ok = g && sh && !gd.hidden && fl?.xaxis?._length && g.eigenvectors?.every((e) => e && e[0] !== null);
  if (!ok) { layer.style.display = "none"; return; }
  const xa = fl.xaxis; const ya = fl.yaxis; const d = sh.info.domain;
  const lens = arrowLengths(g.eigenvalues, 0.09 * Math.min(d.x[1] - d.x[0], d.y[1] - d.y[0]));
  Object.assign(layer.style, { display: "block", left: `${gd.offsetLeft + xa._offset}px`, top: `${gd.offsetTop + ya._offset}px`,
    width: `${xa._length}px`, height: `${ya._length}px` });
  [...layer.children].forEach((line, i) => {
    const e = g.eigenvectors[i]; const len = lens[i];
    line.style.display = len ? "" : "none";
    if (!len) return;
    const { color, width } = CURSOR_LINES[i];
    const dash = Math.max(width, 3); // Plotly's "dot"
    line.setAttribute("x1", xa.l2p(at[0] - e[0] * len)); line.setAttribute("y1", ya.l2p(at[1] - e[1] * len));
    line.setAttribute("x2", xa.l2p(at[0] + e[0] * len)); line.setAttribute("y2", ya.l2p(at[1] + e[1] * len));
    line.setAttribute("stroke", themeColor(color)); line.setAttribute("stroke-width", width);
    line.setAttribute("stroke-dasharray", g.eigenvalues[i] < 0 ? `${dash} ${dash}` : "");
    line.dataset.lambda = String(g.eigenvalues[i]);
  });
}

/** The cursor axes' SVG, over the figure and its live canvas (same parent, after them), clipped to the plot area. */
function cursorLayer(gd) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "cursor-axes");
  svg.setAttribute("aria-hidden", "true");
  svg.dataset.testid = "cursor-axes";
  Object.assign(svg.style, { position: "absolute", pointerEvents: "none", overflow: "hidden", display: "none" });
  for (const axis of [1, 2]) {
    const line = document.createElementNS(SVG, "line");
    line.dataset.axis = String(axis);
    line.setAttribute("stroke-linecap", "round");
    svg.append(line);
  }
  gd.parentElement.append(svg);
  return svg;
}
