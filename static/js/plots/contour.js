// plots/contour.js — the contour figure: surface, paths, stationary points, start, Hessian axes.
//
// Trace uids are stable ("surface", "path-0", "start", "now", ...) so the time scrubber can restyle one
// trace without rebuilding the figure (the cursor's eigen-axes are an SVG over it: views/paths-marks.js).

import { drawnPath, exitPoint } from "../run.js";
import { FONT, FONT_FAMILY, INK, MUTED, SURFACE_SCALE, hexToRgba } from "./common.js";

const NEG = "#B2182B"; // negative curvature (descent directions) in the eigen overlays

/** Segment half-lengths for eigenvectors: ∝ |λ| (floored so the small one stays visible). */
export function arrowLengths(eigenvalues, full) {
  const mags = eigenvalues.map((l) => Math.abs(l ?? 0));
  const top = Math.max(...mags);
  if (!(top > 0)) return mags.map(() => 0);
  return mags.map((m) => full * Math.max(m / top, 0.28));
}

const span = (d) => Math.min(d.x[1] - d.x[0], d.y[1] - d.y[0]);

function stationaryTraces(info) {
  const out = [];
  const minima = info.minima || []; const saddles = info.saddles || []; const maxima = info.maxima || [];
  const many = minima.length > 40;
  const fbest = Math.min(...minima.map((m) => m.f));
  const stars = many ? minima.filter((m) => m.f <= fbest + 1e-9) : minima;
  if (many) {
    out.push({ type: "scatter", mode: "markers", uid: "minima-all", name: "local minima", x: minima.map((m) => m.x),
      y: minima.map((m) => m.y), marker: { size: 4, color: "rgba(29,36,51,0.35)" }, hoverinfo: "skip" });
  }
  if (stars.length) {
    out.push({ type: "scatter", mode: "markers", uid: "minima", name: "minima", x: stars.map((m) => m.x), y: stars.map((m) => m.y),
      customdata: stars.map((m) => m.f),
      // the global minimum (lowest f) gets the big star
      marker: { symbol: "star", size: stars.map((m) => (m.f <= fbest + 1e-9 ? 17 : 12)), color: "#FFD23F", line: { color: INK, width: 1.2 } },
      hovertemplate: "minimum ★<br>(%{x:.4g}, %{y:.4g})<br>f = %{customdata:.4g}<extra></extra>" });
  }
  if (saddles.length && saddles.length <= 40) {
    out.push({ type: "scatter", mode: "markers", uid: "saddles", name: "saddles", x: saddles.map((m) => m.x), y: saddles.map((m) => m.y),
      customdata: saddles.map((m) => m.f),
      marker: { symbol: "x-thin-open", size: 12, color: INK, line: { color: INK, width: 2.2 } },
      hovertemplate: "saddle ✕<br>(%{x:.4g}, %{y:.4g})<br>f = %{customdata:.4g}<extra></extra>" });
  }
  if (maxima.length && maxima.length <= 40) {
    out.push({ type: "scatter", mode: "markers", uid: "maxima", name: "maxima", x: maxima.map((m) => m.x), y: maxima.map((m) => m.y),
      customdata: maxima.map((m) => m.f),
      marker: { symbol: "triangle-up-open", size: 9, color: MUTED, line: { color: MUTED, width: 1.5 } },
      hovertemplate: "maximum<br>(%{x:.4g}, %{y:.4g})<br>f = %{customdata:.4g}<extra></extra>" });
  }
  return out;
}

/** Eigenvector arrows (both ways, ∝ |λ|) at the start, with λ labels: layout annotations. */
export function startAnnotations(point, start, domain) {
  if (!point || !point.eigenvectors) return [];
  const full = 0.15 * span(domain);
  const lens = arrowLengths(point.eigenvalues, full);
  const out = [];
  point.eigenvectors.forEach((v, i) => {
    const lam = point.eigenvalues[i];
    if (!lens[i] || !v || v[0] === null) return;
    const color = lam < 0 ? NEG : INK;
    const [sx, sy] = start;
    const tip = [sx + v[0] * lens[i], sy + v[1] * lens[i]];
    out.push({ x: tip[0], y: tip[1], ax: sx - v[0] * lens[i], ay: sy - v[1] * lens[i], xref: "x", yref: "y",
      axref: "x", ayref: "y", showarrow: true, arrowhead: 2, arrowsize: 1, arrowwidth: 2.2, arrowcolor: color,
      arrowside: "end+start", text: "", name: `eig-${i + 1}` });
    const pad = 0.045 * span(domain);
    out.push({ x: tip[0] + v[0] * pad, y: tip[1] + v[1] * pad, xref: "x", yref: "y", showarrow: false,
      text: `λ${i ? "₂" : "₁"} = ${niceNum(lam)}`, name: `eig-label-${i + 1}`,
      font: { family: FONT_FAMILY, size: 12, color }, bgcolor: "rgba(255,255,255,0.82)", borderpad: 2 });
  });
  return out;
}

const niceNum = (v) => (v === null ? "—" : String(Number(v.toPrecision(3))).replace("-", "−"));

/** Line segments (null-separated) through each point along each eigenvector, ∝ |λ|, for the k-th iterate
 * overlay: [positive-curvature segments, negative-curvature segments]. */
export function axesSegments(geoms, domain, scale = 0.06) {
  const segs = [{ x: [], y: [] }, { x: [], y: [] }];
  const full = scale * span(domain);
  const top = Math.max(1e-300, ...geoms.flatMap((g) => g.eigenvalues.map((l) => Math.abs(l ?? 0))));
  for (const g of geoms) {
    g.eigenvectors.forEach((v, i) => {
      const lam = g.eigenvalues[i];
      if (lam === null || !v || v[0] === null) return;
      const L = full * Math.max(Math.abs(lam) / top, 0.15);
      const seg = segs[lam < 0 ? 1 : 0];
      seg.x.push(g.at[0] - v[0] * L, g.at[0] + v[0] * L, null);
      seg.y.push(g.at[1] - v[1] * L, g.at[1] + v[1] * L, null);
    });
  }
  return segs;
}

/**
 * Equal axis scales leave spare width on wide plots; centre the plot and keep the colour bar beside it
 * (Plotly would centre the plot and leave the colour bar at the far edge). `size` = the div's pixels.
 */
function plotFrame(size, domain, margin, withBar) {
  if (!size || !(size.w > 0) || !(size.h > 0)) return null;
  const bar = withBar ? 62 : 0;
  const pw = size.w - margin.l - margin.r; const ph = size.h - margin.t - margin.b;
  const dx = domain.x[1] - domain.x[0]; const dy = domain.y[1] - domain.y[0];
  const w = Math.min(pw - bar, (ph * dx) / dy);
  if (!(w > 0)) return null;
  const left = (pw - bar - w) / 2;
  return { x: [left / pw, (left + w) / pw], colorbarX: (left + w) / pw + 4 / pw };
}

const MARGIN = { l: 36, r: 4, t: 6, b: 26 };

/**
 * The plot area and axes of contourFigure(s) before Plotly has drawn it, as Plotly will lay them out: the
 * margins (widened in presentation mode by display.js), plotFrame's x domain, then equal scales: the axis with
 * room to spare shrinks about its middle (constrain: "domain"). Returns {xa, ya} with Plotly's axis fields
 * the live canvas uses (_offset, _length, l2p, p2l), or null when the div has no size yet. Both figures are
 * laid out at s.size (the div's measured pixels), so this frame is theirs to the pixel.
 */
export function contourAxes(s) {
  const domain = s.info.domain;
  // the figure's x domain is computed from MARGIN; display.js then widens its margins in presentation mode
  const frame = plotFrame(s.size, domain, MARGIN, s.showscale !== false);
  const layout = { margin: { ...MARGIN } };
  window.__losslabDisplay?.themeFigure(null, layout);
  const m = layout.margin;
  if (!frame) return null;
  const pw = s.size.w - m.l - m.r; const ph = s.size.h - m.t - m.b;
  const dx = domain.x[1] - domain.x[0]; const dy = domain.y[1] - domain.y[0];
  let x0 = m.l + frame.x[0] * pw; let w = (frame.x[1] - frame.x[0]) * pw;
  let y0 = m.t; let h = ph;
  const k = Math.min(w / dx, h / dy);
  if (w > k * dx) { x0 += (w - k * dx) / 2; w = k * dx; }
  if (h > k * dy) { y0 += (h - k * dy) / 2; h = k * dy; }
  const xl = domain.x[0]; const yt = domain.y[1];
  return {
    xa: { _offset: x0, _length: w, l2p: (v) => ((v - xl) * w) / dx, p2l: (p) => xl + (p * dx) / w },
    ya: { _offset: y0, _length: h, l2p: (v) => ((yt - v) * h) / dy, p2l: (p) => yt - (p * dy) / h },
  };
}

/** "diverged at step k" beside each ✕, nudged toward the middle of the plot so it stays readable. */
function divergedLabels(d, domain) {
  const cx = (domain.x[0] + domain.x[1]) / 2; const cy = (domain.y[0] + domain.y[1]) / 2;
  return d.x.map((x, i) => ({
    x, y: d.y[i], xref: "x", yref: "y", text: d.text[i], showarrow: true, arrowcolor: d.color[i], arrowwidth: 1,
    arrowhead: 0, ax: x > cx ? -46 : 46, ay: d.y[i] > cy ? 26 : -26, name: `diverged-${i}`,
    font: { family: FONT_FAMILY, size: 11.5, color: d.color[i] }, bgcolor: "rgba(255,255,255,0.92)",
    bordercolor: d.color[i], borderwidth: 1, borderpad: 3,
  }));
}

/**
 * A dot (⌀ 4.5 px, the path's colour) at every iterate of a path trace with meta ITERATES: an SVG marker on
 * the vertices of the trace's one line element, so the browser paints them, instead of Plotly's markers
 * (one SVG node per point: 4 × 201 of them cost ~50 ms of every draw of the figure). Call after each draw
 * (plotly_afterplot): the marker definition lives in the figure's own <defs>, so PNG exports keep the dots.
 */
export const ITERATES = "iterates";
export function markIterates(gd) {
  const defs = gd.querySelector("svg.main-svg defs");
  if (!defs) return;
  const id = `${gd.id}-iterate`;
  if (!defs.querySelector(`#${id}`)) {
    const ns = "http://www.w3.org/2000/svg";
    const m = document.createElementNS(ns, "marker");
    for (const [k, v] of [["id", id], ["markerUnits", "userSpaceOnUse"], ["markerWidth", 5], ["markerHeight", 5],
      ["refX", 2.5], ["refY", 2.5], ["overflow", "visible"]]) m.setAttribute(k, v);
    const c = document.createElementNS(ns, "circle");
    for (const [k, v] of [["cx", 2.5], ["cy", 2.5], ["r", 2.25], ["fill", "context-stroke"]]) c.setAttribute(k, v);
    m.append(c);
    defs.append(m);
  }
  for (const tr of gd._fullData || []) {
    if (tr.type !== "scatter" || !String(tr.uid).startsWith("path-")) continue;
    const url = tr.meta === ITERATES ? `url(#${id})` : "";
    for (const el of gd.querySelectorAll(`.trace${tr.uid} path.js-line`)) if (el.style.marker !== url) el.style.marker = url;
  }
}

/** Index of each run's marker at time t (clamped to what the run has). */
export const indexAt = (r, t) => Math.max(0, Math.min(t, r.path.length - 1));

export function nowTrace(run, colors, t) {
  const rs = run ? run.runs : [];
  return {
    x: rs.map((r) => (r.path.length ? r.path[indexAt(r, t)][0] : null)),
    y: rs.map((r) => (r.path.length ? r.path[indexAt(r, t)][1] : null)),
    color: rs.map((_, i) => colors[i]),
  };
}

/** What the live canvas (plots/live.js) draws for `s` (as for contourFigure), matching the figure's marks. */
export function liveScene(s, { keepEig, surface = false }) {
  const domain = s.info.domain;
  const runs = s.run && s.run.surfaceKey === s.surfaceKey ? s.run.runs : [];
  const paths = runs.map((r, i) => ({ xy: drawnPath(r, domain), color: s.colors[i], markers: r.path.length <= 600 }));
  const diverged = [];
  runs.forEach((r, i) => {
    const e = r.status === "diverged" ? exitPoint(r.path, domain) : null;
    if (e) diverged.push({ x: e.x, y: e.y, color: s.colors[i] });
  });
  const now = s.t < s.tmax ? nowTrace({ runs }, s.colors, s.t) : null;
  let eig = null;
  if (!keepEig) {
    eig = [];
    const notes = startAnnotations(s.point, s.start, domain);
    for (let k = 0; k + 1 < notes.length; k += 2) {
      const a = notes[k]; const lab = notes[k + 1];
      eig.push({ from: [a.ax, a.ay], to: [a.x, a.y], color: a.arrowcolor, label: lab.text, at: [lab.x, lab.y] });
    }
  }
  return { paths, start: s.start, diverged, eig, keepEig,
    surface: surface ? { grid: s.grid, zT: s.zT, levels: s.levels, info: s.info } : null,
    now: now ? now.x.map((x, i) => ({ x, y: now.y[i], color: now.color[i] })) : null };
}

/**
 * The figure is two stacked Plotly figures with the same plot area: the surface layer (surfaceLayer: filled
 * contour, colour bar, axes; #contour-surface, a static figure) under this one (transparent: paths, marks,
 * start, annotations, hover, clicks, zoom). A new run or start then redraws only this figure (~20 ms), never
 * the contour (~30 ms more); the renderer (paths-render.js) keeps the layer's ranges on this figure's zoom.
 * Build {data, layout}. `s` = {grid, zT, levels, info, run, point, start, names, colors, t, axes, revision, overlay?}.
 */
export function contourFigure(s) {
  const { info, run, names, colors } = s;
  const domain = info.domain;
  // marks drawn on top (teach/step.js): {shapes, focus: run index or null, hideStart: drop the start's
  // eigen-arrows (the overlay draws the axes at the current iterate instead)}
  const overlay = s.overlay || { shapes: [], focus: null };
  const focus = overlay.focus ?? null;
  const data = [];
  const diverged = { x: [], y: [], text: [], color: [] };
  const runs = run && run.surfaceKey === s.surfaceKey ? run.runs : [];
  runs.forEach((r, i) => {
    const markers = r.path.length <= 600;
    const xy = drawnPath(r, domain);
    data.push({
      // the iterates' dots are SVG markers on the line itself (markIterates), not Plotly markers: see ITERATES
      type: "scatter", mode: "lines", uid: `path-${i}`, name: names[i], meta: markers ? ITERATES : null,
      opacity: focus === null ? 1 : 0.32, // step-through: every path dims; the overlay redraws the stepped one up to t
      x: xy.map((p) => p[0]), y: xy.map((p) => p[1]),
      line: { color: colors[i], width: 2, simplify: !markers }, // every iterate stays a vertex of the line
      hovertemplate: `<b>${names[i]}</b><br>t = %{pointNumber}<br>(%{x:.4g}, %{y:.4g})<extra></extra>`,
      hoverlabel: { bgcolor: "#fff", bordercolor: colors[i] },
    });
    if (r.aux_path?.length) { // the optimizer's second line: ASGD's average x̄, Schedule-Free's evaluation point x
      const label = r.optimizer?.name === "asgd" ? "average x̄" : "evaluation point x";
      data.push({
        type: "scatter", mode: "lines", uid: `aux-${i}`, name: `${names[i]}: ${label}`, showlegend: false,
        opacity: focus === null ? 0.9 : 0.32, x: r.aux_path.map((p) => p[0]), y: r.aux_path.map((p) => p[1]),
        line: { color: colors[i], width: 2, dash: "dash" },
        hovertemplate: `<b>${names[i]}</b> ${label}<br>t = %{pointNumber}<br>(%{x:.4g}, %{y:.4g})<extra></extra>`,
      });
    }
    if (r.status === "diverged") {
      const e = exitPoint(r.path, domain);
      if (e) {
        diverged.x.push(e.x); diverged.y.push(e.y); diverged.color.push(colors[i]);
        diverged.text.push(`diverged at step ${r.steps_taken + 1}`);
      }
    }
  });
  if (s.axes) {
    s.axes.forEach((seg, i) => data.push({ type: "scatter", mode: "lines", uid: i ? "axes-neg" : "axes-pos",
      name: i ? "Hessian axes, λ < 0" : "Hessian axes, λ > 0", x: seg.x, y: seg.y, hoverinfo: "skip",
      line: i ? { color: hexToRgba(NEG, 0.8), width: 1.4, dash: "dot" } : { color: "rgba(29,36,51,0.6)", width: 1.3 } }));
  }
  data.push(...stationaryTraces(info));
  data.push({ type: "scatter", mode: "markers", uid: "start", name: "start", x: [s.start[0]], y: [s.start[1]],
    marker: { size: 13, color: "#ffffff", line: { color: INK, width: 2.4 } },
    hovertemplate: "start<br>(%{x:.4g}, %{y:.4g})<extra></extra>" });
  if (diverged.x.length) {
    data.push({ type: "scatter", mode: "markers", uid: "diverged", name: "diverged", x: diverged.x, y: diverged.y,
      text: diverged.text, cliponaxis: false,
      marker: { symbol: "x", size: 17, color: diverged.color, line: { color: INK, width: 1.2 } },
      hovertemplate: "%{text}<extra></extra>" });
  }
  const now = nowTrace({ runs }, colors, s.t);
  // at the end of time the markers would hide the minimum's star: they show while scrubbing or playing
  data.push({ type: "scatter", mode: "markers", uid: "now", name: "now", x: now.x, y: now.y, hoverinfo: "skip",
    visible: !(s.t >= s.tmax), marker: { size: 11, color: now.color, line: { color: "#fff", width: 2 } } });
  const layout = {
    ...frameLayout(s, null, false).layout, plot_bgcolor: "rgba(0,0,0,0)",
    // the layer's size (surfaceLayer): a resize redraws both from one measurement (paths-render.js), never
    // this one alone from Plotly's own resize handler, which kept the old frame's x domain for ~100 ms
    width: s.size.w, height: s.size.h,
    showlegend: false, hovermode: "closest", dragmode: "zoom", uirevision: s.revision,
    hoveranywhere: true, clickanywhere: true,
    hoverlabel: { font: { family: FONT_FAMILY, size: 12 }, bgcolor: "#fff" },
    annotations: [...(overlay.hideStart ? [] : startAnnotations(s.point, s.start, domain)), ...divergedLabels(diverged, domain)],
    shapes: overlay.shapes || [],
  };
  return { data, layout };
}

/**
 * The surface layer under contourFigure's figure: the filled contour (uid "surface"), its colour bar and the
 * axes, at the figure's current `ranges` ({x, y}, its zoom) and the div's size. `zT` is the (cached) transformed
 * z, so Plotly.react sees the same array and skips recontouring.
 */
export function surfaceLayer(s, ranges) {
  const { frame, layout } = frameLayout(s, ranges, true);
  const trace = {
    type: "contour", uid: "surface", name: "f", x: s.grid.x, y: s.grid.y, z: s.zT,
    colorscale: SURFACE_SCALE, autocontour: false,
    contours: { start: s.levels.lo, end: s.levels.hi, size: (s.levels.hi - s.levels.lo) / 22, coloring: "fill", showlines: true },
    line: { color: "rgba(29,36,51,0.22)", width: 0.7, smoothing: 0.85 },
    hoverinfo: "skip", showscale: s.showscale !== false,
    colorbar: { thickness: 7, len: 0.72, y: 0.5, outlinewidth: 0, xpad: 4, tickfont: { size: 10, color: MUTED },
      title: { text: s.levels.title, side: "top", font: { size: 11, color: MUTED } }, ...s.levels.ticks() },
  };
  if (frame) trace.colorbar.x = frame.colorbarX;
  return { data: [trace], layout: { ...layout, plot_bgcolor: "#faf7f0", width: s.size.w, height: s.size.h } };
}

/**
 * The margins, frame and axes both figures share, so their plot areas coincide: equal scales, the colour
 * bar's room (plotFrame). Only the surface layer draws the axes' lines, ticks and labels.
 */
function frameLayout(s, ranges, drawn) {
  const domain = s.info.domain;
  const axis = (range) => ({
    range, title: { text: "" }, zeroline: false, showgrid: false, constrain: "domain", automargin: false,
    ...(drawn ? { ticks: "outside", ticklen: 4, tickcolor: "#c9ced8", showline: true, linecolor: "#c9ced8", mirror: true }
      : { ticks: "", showticklabels: false, showline: false }),
  });
  const margin = { ...MARGIN };
  const frame = plotFrame(s.size, domain, margin, s.showscale !== false);
  return { frame, layout: {
    font: FONT, margin, paper_bgcolor: "rgba(0,0,0,0)",
    xaxis: { ...axis(ranges ? ranges.x : [domain.x[0], domain.x[1]]), ...(frame ? { domain: frame.x } : {}) },
    yaxis: { ...axis(ranges ? ranges.y : [domain.y[0], domain.y[1]]), scaleanchor: "x", scaleratio: 1 },
  } };
}
