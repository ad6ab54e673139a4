// teach/arrows.js — the step-through overlay on the contour plot: arrows for one update and the marks
// around the iterate. Pure: numbers in (teach/narrate.js stepNumbers), Plotly layout shapes out.
//
// Arrows are drawn tip to tail so the vector sum is visible: −η∇f from x_t, the momentum part from its tip,
// and the update x_t → x_{t+1} (= −η∇f + momentum). Methods whose −η∇f is no step they take (Adam,
// RMSProp, AdaGrad, Adadelta, Newton) get the direction of −∇f instead, drawn as long as their update.
// When the update is tiny on the current view every arrow is magnified by the same 1-2-5 factor (shown).
// Everything is a layout shape named "teach-…" (line shafts, pixel-sized heads, rings and labels): a step
// swaps the shapes with one relayout, which redraws only the shapes (a restyle would recompute the contour).

import { FONT_FAMILY, INK } from "../plots/common.js";
import { SGD_FAMILY, isVec, norm } from "./narrate.js";

export const ARROW_COLORS = { grad: INK, momentum: "#7B3294", axes: "rgba(29,36,51,0.55)", neg: "#B2182B" };
const MIN_FRACTION = 0.12; // the longest arrow spans at least this share of the visible square
const HALO = "rgba(255,255,255,0.9)";

/** 1, 2, 5, 10, 20, … : the smallest such factor that makes `longest` reach MIN_FRACTION of `span`. */
export function magnification(longest, span) {
  if (!(longest > 0) || !(span > 0) || longest >= MIN_FRACTION * span) return 1;
  const want = (MIN_FRACTION * span) / longest;
  const e = 10 ** Math.floor(Math.log10(want));
  for (const m of [1, 2, 5, 10]) if (m * e >= want) return m * e;
  return 10 * e;
}

const add = (p, v, s = 1) => [p[0] + s * v[0], p[1] + s * v[1]];

/** The arrows (data coordinates) for numbers `n`, before styling: {key: {from, to, label, color, width}}. */
export function arrowGeometry(n, color, span) {
  if (n.last || !isVec(n.update) || !isVec(n.x)) return { arrows: {}, scale: 1 };
  const sgd = SGD_FAMILY.has(n.name);
  const g = n.grad;
  const lengths = [norm(n.update)];
  if (sgd && isVec(n.gdStep)) lengths.push(norm(n.gdStep));
  if (sgd && isVec(n.momentum)) lengths.push(norm(n.momentum));
  const scale = magnification(Math.max(...lengths), span);
  const x = n.x;
  const arrows = {};
  if (sgd && n.name !== "gd" && isVec(n.gdStep)) {
    arrows.gd_step = { from: x, to: add(x, n.gdStep, scale), label: "−η∇f", color: ARROW_COLORS.grad, width: 3.4 };
    if (isVec(n.momentum)) {
      arrows.momentum = { from: arrows.gd_step.to, to: add(arrows.gd_step.to, n.momentum, scale), label: "momentum",
        color: ARROW_COLORS.momentum, width: 3.4 };
    }
  } else if (!sgd && isVec(g) && norm(g) > 0) {
    // −∇f's direction, as long as the update: the angle between them is what the method changed
    const len = norm(n.update) * scale;
    arrows.grad_dir = { from: x, to: add(x, [-g[0] / norm(g), -g[1] / norm(g)], len), label: "−∇f direction",
      color: ARROW_COLORS.grad, width: 2.6 };
  }
  arrows.update = { from: x, to: add(x, n.update, scale), label: n.name === "gd" ? "update = −η∇f" : "update",
    color, width: 4.4 };
  return { arrows, scale };
}

// ---- shapes ------------------------------------------------------------------------------------------
const f2 = (v) => v.toFixed(2);
const dataLine = (name, a, b, line) => ({ type: "line", name, xref: "x", yref: "y", layer: "above",
  x0: a[0], y0: a[1], x1: b[0], y1: b[1], line });
/** A shape sized in pixels around the data point p (`path` in pixels, +y up), or a circle/rect of half-size r. */
const pixelShape = (name, p, extra) => ({ name, xref: "x", yref: "y", layer: "above", xsizemode: "pixel",
  ysizemode: "pixel", xanchor: p[0], yanchor: p[1], ...extra });
const ring = (name, p, r, line, fillcolor = "rgba(0,0,0,0)") => pixelShape(name, p,
  { type: "circle", x0: -r, x1: r, y0: -r, y1: r, line, fillcolor });

/** Shaft (with a white halo) + a pixel-sized head whose tip is exactly at `a.to`. */
function arrowShapes(key, a, unit) {
  const dx = a.to[0] - a.from[0]; const dy = a.to[1] - a.from[1];
  const lenPx = Math.hypot(dx, dy) / unit;
  if (!(lenPx > 0.5)) return [];
  const u = [dx / Math.hypot(dx, dy), dy / Math.hypot(dx, dy)]; const v = [-u[1], u[0]];
  const L = Math.min(3.2 * a.width + 7, 0.7 * lenPx); const W = Math.min(1.55 * a.width + 3.5, 0.8 * L);
  const back = [-u[0] * L, -u[1] * L];
  const path = `M0,0 L${f2(back[0] + v[0] * W)},${f2(back[1] + v[1] * W)} L${f2(back[0] - v[0] * W)},${f2(back[1] - v[1] * W)} Z`;
  const end = add(a.to, u, -0.75 * L * unit); // the shaft stops inside the head
  return [
    dataLine(`teach-halo-${key}`, a.from, end, { color: HALO, width: a.width + 3.4 }),
    dataLine(`teach-${key}`, a.from, end, { color: a.color, width: a.width }),
    pixelShape(`teach-${key}-head`, a.to, { type: "path", path, fillcolor: a.color, line: { color: HALO, width: 1.6 } }),
  ];
}

/**
 * Label placement: beside the arrow (its middle, or a third from either end), on the side and at the place
 * farthest from the other marks (arrows, the textbook point, labels placed before), so labels neither cover
 * arrows nor each other; ties go toward the view's centre, and labels stay inside the visible box. Axes have
 * equal scales, so data directions are pixel directions (Plotly's yshift points up); `unit` = data units per pixel.
 */
function labelAt(a, key, obstacles, placed, { centre, unit, box }) {
  const dx = a.to[0] - a.from[0]; const dy = a.to[1] - a.from[1];
  const len = Math.hypot(dx, dy) || 1;
  const normal = [-dy / len, dx / len];
  const w = 9 * a.label.length + 12; const hgt = 24; // the label's size in pixels, roughly
  const others = obstacles.filter((o) => !(Array.isArray(o[0]) && o[0] === a.from && o[1] === a.to)); // not itself
  const distance = (p) => Math.min(Infinity, ...others.map((o) => (Array.isArray(o[0]) ? segmentDistance(p, o[0], o[1])
    : Math.hypot(o[0] - p[0], o[1] - p[1]))));
  const towardCentre = (centre[0] - a.from[0] - dx / 2) * normal[0] + (centre[1] - a.from[1] - dy / 2) * normal[1] >= 0 ? 1 : -1;
  // candidates: three places along the arrow × two sides; score = clearance of the label's near edge and middle
  let best = null;
  for (const along of [0.5, 0.3, 0.7]) {
    for (const sign of [towardCentre, -towardCentre]) {
      const at = [a.from[0] + along * dx, a.from[1] + along * dy];
      const n = [sign * normal[0], sign * normal[1]];
      const mid = (12 + (Math.abs(n[0]) * w + Math.abs(n[1]) * hgt) / 2) * unit;
      const c = [at[0] + n[0] * mid, at[1] + n[1] * mid];
      // a label that would stick out of the visible box loses to any that fits
      const fits = !box || (c[0] - (w / 2) * unit >= box[0][0] && c[0] + (w / 2) * unit <= box[0][1]
        && c[1] - (hgt / 2) * unit >= box[1][0] && c[1] + (hgt / 2) * unit <= box[1][1]);
      const rect = [c[0] - (w / 2) * unit, c[0] + (w / 2) * unit, c[1] - (hgt / 2) * unit, c[1] + (hgt / 2) * unit];
      const overlaps = placed.some((r) => rect[0] < r[1] && r[0] < rect[1] && rect[2] < r[3] && r[2] < rect[3]);
      const score = Math.min(distance([at[0] + n[0] * 12 * unit, at[1] + n[1] * 12 * unit]), distance(c))
        * (along === 0.5 ? 1.15 : 1) - (fits ? 0 : 1e9) - (overlaps ? 1e6 : 0);
      if (!best || score > best.score + 1e-12) best = { score, at, n, mid, rect };
    }
  }
  const { at, n, mid, rect } = best;
  obstacles.push([at[0] + n[0] * mid, at[1] + n[1] * mid]);
  placed.push(rect);
  return pixelShape(`teach-label-${key}`, [at[0] + n[0] * mid, at[1] + n[1] * mid], {
    type: "rect", x0: -w / 2, x1: w / 2, y0: -hgt / 2, y1: hgt / 2, fillcolor: "rgba(255,255,255,0.88)", line: { width: 0 },
    label: { text: `<b>${a.label}</b>`, textposition: "middle center", font: { family: FONT_FAMILY, size: 15, color: a.color } },
  });
}

/** Distance from point p to the segment a–b. */
function segmentDistance(p, a, b) {
  const vx = b[0] - a[0]; const vy = b[1] - a[1];
  const L2 = vx * vx + vy * vy;
  const s = L2 > 0 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * vx + (p[1] - a[1]) * vy) / L2)) : 0;
  return Math.hypot(p[0] - a[0] - s * vx, p[1] - a[1] - s * vy);
}

function arrowsAndLabels(arrows, { centre, unit, box, marks }) {
  const order = ["grad_dir", "gd_step", "momentum", "update"];
  const present = order.filter((k) => arrows[k]);
  // points [x, y] and segments [[x, y], [x, y]] the labels keep away from
  const obstacles = [...marks, ...present.map((k) => [arrows[k].from, arrows[k].to])];
  const out = present.flatMap((k) => arrowShapes(k, arrows[k], unit));
  const placed = []; // label rectangles [x0, x1, y0, y1] so far: later labels do not overlap them
  const labels = ["update", "gd_step", "momentum", "grad_dir"].filter((k) => arrows[k])
    .map((k) => labelAt(arrows[k], k, obstacles, placed, { centre, unit, box }));
  return { arrowShapes: out, labels };
}

/** Hessian axes through x_t (both ways, ∝ |λ|; dotted red where λ < 0) as line shapes. */
function axesAt(n, span) {
  const geom = n.geom;
  if (!geom || !geom.eigenvectors?.every(isVec) || !isVec(n.x)) return [];
  const top = Math.max(...geom.eigenvalues.map((l) => Math.abs(l ?? 0)));
  if (!(top > 0)) return [];
  return geom.eigenvectors.map((v, i) => {
    const lam = geom.eigenvalues[i];
    const L = 0.16 * span * Math.max(Math.abs(lam) / top, 0.3);
    return dataLine(`teach-axis-${i + 1}`, add(n.x, v, -L), add(n.x, v, L), lam < 0
      ? { color: ARROW_COLORS.neg, width: 2, dash: "dot" } : { color: ARROW_COLORS.axes, width: 1.7 });
  });
}

/** The stepped run up to x_t as one path shape (finite points only, up to the first that is not). */
function pastPath(n, color) {
  const pts = [];
  for (const p of (n.path || []).slice(0, n.t + 1)) {
    if (!isVec(p) || Math.abs(p[0]) > 1e9 || Math.abs(p[1]) > 1e9) break;
    pts.push(`${p[0]},${p[1]}`);
  }
  if (pts.length < 2) return [];
  return [{ type: "path", name: "teach-past", xref: "x", yref: "y", layer: "above", path: `M${pts.join("L")}`,
    line: { color, width: 3 } }];
}

/**
 * The overlay for iterate numbers `n`: {shapes, arrows (data coordinates, for tests), scale}. `color` = the
 * stepped optimizer's colour, `span` = the visible square's side, `centre` = the middle of the view,
 * `unit` = data units per pixel, `box` = the visible [[x0, x1], [y0, y1]].
 */
export function stepOverlay(n, { color, span, centre = [0, 0], unit = span / 500, box = null }) {
  const { arrows, scale } = arrowGeometry(n, color, span);
  const shapes = [...pastPath(n, color), ...axesAt(n, span)];
  const live = !n.last;
  if (live && isVec(n.textbook) && isVec(n.x)) {
    shapes.push(dataLine("teach-look", n.textbook, n.x, { color, width: 2.4, dash: "dot" }));
  }
  const marks = [live ? n.textbook : null, live ? n.next : null].filter(isVec);
  const { arrowShapes: drawn, labels } = arrowsAndLabels(arrows, { centre, unit, box, marks });
  shapes.push(...drawn);
  if (live && isVec(n.textbook)) {
    shapes.push(pixelShape("teach-textbook", n.textbook, { type: "path", path: "M0,9 L9,0 L0,-9 L-9,0 Z",
      fillcolor: "rgba(255,255,255,0.7)", line: { color, width: 2.6 } }));
  }
  if (live && isVec(n.next)) shapes.push(ring("teach-next", n.next, 6.5, { color, width: 2.4 }));
  if (isVec(n.x)) shapes.push(ring("teach-iterate", n.x, 8.5, { color, width: 4 }, "#ffffff"));
  shapes.push(...labels);
  if (scale !== 1 && arrows.update) {
    const text = `arrows drawn ×${scale}`;
    shapes.push({ type: "rect", name: "teach-scale", xref: "paper", yref: "paper", layer: "above", xsizemode: "pixel",
      ysizemode: "pixel", xanchor: 0, yanchor: 1, x0: 8, x1: 8 + 8 * text.length + 16, y0: -8, y1: -34,
      fillcolor: "rgba(255,255,255,0.92)", line: { color: INK, width: 1 },
      label: { text, textposition: "middle center", font: { family: FONT_FAMILY, size: 14, color: INK } } });
  }
  return { shapes, arrows, scale };
}
