// views/networks-plots.js — Plotly figures of the Networks view: data + decision boundaries, the
// landscape plane (contour and 3D) with projected paths, and the loss / accuracy / sharpness charts.
// Every builder returns {data, layout}; stable uids and uirevision keep zoom across re-runs.

import { FONT, FONT_FAMILY, INK, MUTED, SURFACE_SCALE, chartLayout, hexToRgba, levelTransform, shortNum } from "../plots/common.js";

const CLASS_INK = "#38405a";
// faint P(class 1) shading: class-0 side cool, class-1 side warm, P = 0.5 paper
const HEAT = [[0, "#c6d5e6"], [0.5, "#f8f7f3"], [1, "#f2d6b8"]];
const FLOOR = 1e-12;

const axis = (range, title) => ({
  range, title: { text: title, standoff: 2, font: { size: 11, color: MUTED } }, zeroline: false, showgrid: false,
  ticks: "outside", ticklen: 3, tickcolor: "#c9ced8", showline: true, linecolor: "#c9ced8", mirror: true,
  constrain: "domain", automargin: true, tickfont: { size: 10.5 },
});

/** Data bounding box + 10 % (the decision grid's own box when there is one). */
function dataBox(X, decision) {
  if (decision) return { x: [decision.x[0], decision.x.at(-1)], y: [decision.y[0], decision.y.at(-1)] };
  const xs = X.map((p) => p[0]); const ys = X.map((p) => p[1]);
  const pad = (lo, hi) => { const m = 0.1 * (hi - lo || 1); return [lo - m, hi + m]; };
  return { x: pad(Math.min(...xs), Math.max(...xs)), y: pad(Math.min(...ys), Math.max(...ys)) };
}

/**
 * Data scatter with decision boundaries. `s` = {dataset, decision, probs: [grid per run | null], selected,
 * names, colors, revision}. Classification: faint P(class 1) of the selected run, the P = 0.5 contour of
 * every run (the selected one bold); regression: points coloured by their target.
 */
export function decisionFigure(s) {
  const { dataset } = s;
  const box = dataBox(dataset.X, s.decision);
  const data = [];
  const classification = dataset.task === "classification";
  if (classification && s.decision && s.probs[s.selected]) {
    data.push({ type: "heatmap", uid: "heat", x: s.decision.x, y: s.decision.y, z: s.probs[s.selected], zmin: 0, zmax: 1,
      colorscale: HEAT, showscale: false, zsmooth: "best", opacity: 0.9,
      hovertemplate: `P(class 1) = %{z:.2f} (${s.names[s.selected]})<extra></extra>` });
    s.probs.forEach((z, k) => {
      if (!z) return;
      const on = k === s.selected;
      data.push({ type: "contour", uid: `boundary-${k}`, name: s.names[k], x: s.decision.x, y: s.decision.y, z,
        autocontour: false, contours: { start: 0.5, end: 0.5, size: 1, coloring: "none" }, showscale: false,
        line: { color: on ? s.colors[k] : hexToRgba(s.colors[k], 0.75), width: on ? 3 : 1.6, dash: on ? "solid" : "dash", smoothing: 1 },
        hoverinfo: "skip" });
    });
  }
  if (classification) {
    for (const cls of [0, 1]) {
      const pts = dataset.X.filter((_, i) => dataset.y[i] === cls);
      data.push({ type: "scatter", mode: "markers", uid: `class-${cls}`, name: `class ${cls}`,
        x: pts.map((p) => p[0]), y: pts.map((p) => p[1]),
        marker: cls ? { size: 6, color: "#ffffff", line: { color: CLASS_INK, width: 1.3 } }
          : { size: 6, color: CLASS_INK, line: { color: "#ffffff", width: 0.6 } },
        hovertemplate: `class ${cls}<br>(%{x:.3g}, %{y:.3g})<extra></extra>` });
    }
  } else {
    data.push({ type: "scatter", mode: "markers", uid: "targets", name: "target", x: dataset.X.map((p) => p[0]),
      y: dataset.X.map((p) => p[1]), marker: { size: 6, color: dataset.y, colorscale: "Viridis", showscale: true,
        line: { color: "#fff", width: 0.5 },
        colorbar: { thickness: 7, len: 0.7, outlinewidth: 0, tickfont: { size: 10, color: MUTED }, title: { text: "t", side: "top" } } },
      hovertemplate: "(%{x:.3g}, %{y:.3g})<br>t = %{marker.color:.3g}<extra></extra>" });
  }
  const layout = {
    font: FONT, margin: { l: 34, r: 6, t: 4, b: 24 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#faf9f6",
    showlegend: false, hovermode: "closest", uirevision: s.revision,
    hoverlabel: { font: { family: FONT_FAMILY, size: 12 }, bgcolor: "#fff" },
    xaxis: axis(box.x, "x₁"), yaxis: axis(box.y, "x₂"), // free aspect: the data fill the panel
  };
  return { data, layout };
}

/** Plane axis titles from the directions: PCA shares, Hessian eigenvalues, or filter-normalized. */
export function planeAxisTitles(plane) {
  const sig = (v) => String(Number(Number(v).toPrecision(3))).replace("-", "−");
  if (plane.method === "pca" && plane.explained_variance) {
    return plane.explained_variance.map((v, i) => `α${i ? "₂" : "₁"} along PC${i + 1} (${Math.round(100 * v)} % of variance)`);
  }
  if (plane.method === "hessian" && plane.eigenvalues) {
    return plane.eigenvalues.map((v, i) => `α${i ? "₂" : "₁"} along v${i ? "₂" : "₁"} (λ = ${sig(v)})`);
  }
  return ["α₁ along δ₁ (filter-normalized)", "α₂ along δ₂ (filter-normalized)"];
}

/** Log-spaced levels of the plane's loss, with z transformed once per plane (cached on it). */
export function planeLevels(plane, depth = 4) {
  const key = `lv${depth}`;
  if (!plane[key]) {
    const zmin = plane.zmin ?? 0;
    const lv = levelTransform(zmin, plane.zmax ?? 1, true, depth);
    // colour-bar ticks read as E itself: round values 1-2-5 × 10^k above the floor, and the floor zmin
    const ticks = () => {
      const top = plane.zmax ?? 1;
      const tickvals = [lv.lo]; const ticktext = [shortNum(zmin)];
      const gap = (lv.hi - lv.lo) / (depth > 2 ? 9 : 5); // keep labels apart on the log scale (3D: a short axis)
      for (let k = Math.floor(Math.log10(Math.abs(top) || 1)); k >= Math.floor(lv.lo) - 1; k--) {
        for (const m of [5, 2, 1]) {
          const E = m * 10 ** k;
          if (E > top || E - zmin <= (top - zmin) * 1e-3) continue;
          const at = lv.fwd(E);
          if (tickvals.every((t) => Math.abs(t - at) >= gap)) { tickvals.push(at); ticktext.push(shortNum(E)); }
        }
      }
      return { tickmode: "array", tickvals, ticktext };
    };
    plane[key] = { lv: { ...lv, ticks, title: "E" }, zT: plane.loss.map((row) => row.map((v) => (v === null ? null : lv.fwd(v)))) };
  }
  return plane[key];
}

function pathTrace(p, i, s, extra = {}) {
  const markers = p.alpha.length <= 600;
  return {
    type: "scatter", mode: markers ? "lines+markers" : "lines", uid: `path-${i}`, name: s.names[i],
    x: p.alpha, y: p.beta, customdata: p.steps.map((t, k) => [t, p.residual[k]]),
    line: { color: s.colors[i], width: 2 }, marker: { color: s.colors[i], size: 3.5, line: { width: 0 } },
    hovertemplate: `<b>${s.names[i]}</b> step %{customdata[0]}<br>α₁ = %{x:.3g}, α₂ = %{y:.3g}`
      + "<br>off the plane by %{customdata[1]:.3g}<extra></extra>",
    hoverlabel: { bgcolor: "#fff", bordercolor: s.colors[i] }, ...extra,
  };
}

/** The plane as a contour with the projected paths. `s` = {plane, names, colors, revision}. */
export function planeFigure(s) {
  const { plane } = s;
  const { lv, zT } = planeLevels(plane);
  const [tx, ty] = planeAxisTitles(plane);
  const data = [{
    type: "contour", uid: "plane", name: "E", x: plane.alpha, y: plane.beta, z: zT, colorscale: SURFACE_SCALE,
    autocontour: false, contours: { start: lv.lo, end: lv.hi, size: (lv.hi - lv.lo) / 20, coloring: "fill", showlines: true },
    line: { color: "rgba(29,36,51,0.22)", width: 0.7, smoothing: 0.85 }, customdata: plane.loss,
    hovertemplate: "α₁ = %{x:.3g}, α₂ = %{y:.3g}<br>E = %{customdata:.4g}<extra></extra>",
    colorbar: { thickness: 7, len: 0.8, outlinewidth: 0, xpad: 4, tickfont: { size: 10, color: MUTED },
      title: { text: "E", side: "top", font: { size: 11, color: MUTED } }, ...lv.ticks() },
  }];
  const ends = { x: [], y: [], color: [], text: [] };
  plane.paths.forEach((p, i) => {
    data.push(pathTrace(p, i, s));
    const k = p.alpha.length - 1;
    if (k >= 0) { ends.x.push(p.alpha[k]); ends.y.push(p.beta[k]); ends.color.push(s.colors[i]); ends.text.push(s.names[i]); }
  });
  const first = plane.paths.find((p) => p.alpha.length);
  if (first) {
    data.push({ type: "scatter", mode: "markers", uid: "start", name: "initial weights", x: [first.alpha[0]], y: [first.beta[0]],
      marker: { size: 12, color: "#fff", line: { color: INK, width: 2.2 } }, hovertemplate: "initial weights w₀<extra></extra>" });
  }
  data.push({ type: "scatter", mode: "markers", uid: "ends", name: "final weights", x: ends.x, y: ends.y, text: ends.text,
    marker: { size: 10, color: ends.color, line: { color: "#fff", width: 1.6 } }, hovertemplate: "%{text}: final weights<extra></extra>" });
  data.push({ type: "scatter", mode: "markers", uid: "center", name: "centre", x: [0], y: [0],
    marker: { symbol: "cross-thin-open", size: 13, color: INK, line: { color: INK, width: 2 } },
    hovertemplate: "centre c of the plane<extra></extra>" });
  const span = plane.span;
  const margin = { l: 54, r: 4, t: 6, b: 40 };
  const frame = squareFrame(s.size, margin);
  if (frame) data[0].colorbar.x = frame.bar;
  const layout = {
    font: FONT, margin, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#faf7f0",
    showlegend: false, hovermode: "closest", uirevision: s.revision,
    hoverlabel: { font: { family: FONT_FAMILY, size: 12 }, bgcolor: "#fff" },
    xaxis: { ...axis([-span, span], tx), automargin: false, ...(frame ? { domain: frame.x } : {}) },
    yaxis: { ...axis([-span, span], ty), automargin: false, scaleanchor: "x", scaleratio: 1 },
  };
  return { data, layout };
}

/** A square plot centred in a div of `size` pixels with the colour bar right beside it (not at the far edge). */
function squareFrame(size, margin) {
  if (!size || !(size.w > 0) || !(size.h > 0)) return null;
  const bar = 64;
  const pw = size.w - margin.l - margin.r; const ph = size.h - margin.t - margin.b;
  const side = Math.min(pw - bar, ph);
  if (!(side > 0)) return null;
  const left = (pw - bar - side) / 2;
  return { x: [left / pw, (left + side) / pw], bar: (left + side + 6) / pw };
}

/** The plane in 3D; each path at its true loss E(w_t), so a path that leaves the plane floats off it. */
export function plane3dFigure(s) {
  const { plane } = s;
  const { lv, zT } = planeLevels(plane, 2);
  const lift = (lv.hi - lv.lo) * 0.008;
  const [tx, ty] = planeAxisTitles(plane).map((t) => t.split(" (")[0]);
  const data = [{
    type: "surface", uid: "plane3d", x: plane.alpha, y: plane.beta, z: zT, colorscale: SURFACE_SCALE, showscale: false,
    opacity: 0.95, hoverinfo: "skip",
    contours: { z: { show: true, start: lv.lo, end: lv.hi, size: (lv.hi - lv.lo) / 20, color: "rgba(29,36,51,0.28)", width: 1 } },
    lighting: { ambient: 0.8, diffuse: 0.45, specular: 0.05, roughness: 0.9 },
  }];
  plane.paths.forEach((p, i) => {
    const loss = s.losses[i] || [];
    data.push({ type: "scatter3d", mode: "lines", uid: `path3d-${i}`, name: s.names[i], x: p.alpha, y: p.beta,
      z: p.alpha.map((_, k) => (loss[k] === null || loss[k] === undefined ? null : lv.fwd(loss[k]) + lift)),
      line: { color: s.colors[i], width: 5 }, hovertemplate: `<b>${s.names[i]}</b> (true loss)<extra></extra>` });
  });
  const ax = (title, range) => ({ title: { text: title }, range, backgroundcolor: "#faf7f0", gridcolor: "#e3e1da",
    showbackground: true, zeroline: false, tickfont: { size: 10, color: MUTED } });
  const layout = {
    font: FONT, margin: { l: 0, r: 0, t: 0, b: 0 }, paper_bgcolor: "rgba(0,0,0,0)", showlegend: false, uirevision: s.revision,
    scene: { xaxis: ax(tx, [-plane.span, plane.span]), yaxis: ax(ty, [-plane.span, plane.span]),
      zaxis: { ...ax("E", [lv.lo, lv.hi + lift * 4]), ...lv.ticks() },
      aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.6 }, camera: { eye: { x: -1.0, y: -1.5, z: 1.8 } } },
  };
  return { data, layout };
}

/** One line per optimizer over steps: kind "loss" (log) or "acc" (share correct). */
export function curvesFigure(kind, s) {
  const data = [];
  const bad = { x: [], y: [], color: [] };
  s.runs.forEach((r, i) => {
    // fresh arrays: the streamed ones grow in place, and Plotly.react compares data by reference
    const y = kind === "loss" ? r.loss.map((v) => (v === null ? null : Math.max(v, FLOOR))) : r.accuracy.slice();
    data.push({ type: "scatter", mode: "lines", uid: `${kind}-${i}`, name: s.names[i], x: r.steps.slice(), y,
      line: { color: s.colors[i], width: 1.8 },
      hovertemplate: `${s.names[i]}: %{y:${kind === "loss" ? ".4g" : ".1%"}}<extra></extra>` });
    if (r.status === "diverged" && r.steps.length) {
      bad.x.push(r.steps.at(-1)); bad.y.push(y.at(-1)); bad.color.push(s.colors[i]);
    }
  });
  if (bad.x.length) {
    data.push({ type: "scatter", mode: "markers", uid: `${kind}-diverged`, name: "diverged", x: bad.x, y: bad.y, hoverinfo: "skip",
      marker: { symbol: "x", size: 10, color: bad.color, line: { color: "#fff", width: 1 } } });
  }
  const layout = chartLayout({ ytype: kind === "loss" ? "log" : "linear", ytitle: kind === "loss" ? "E(w)" : "",
    xmax: s.total, revision: s.revision });
  if (kind === "acc") {
    const low = Math.min(0.4, ...s.runs.flatMap((r) => r.accuracy).filter((v) => v !== null)); // below chance shows too
    Object.assign(layout.yaxis, { tickformat: ".0%", range: [Math.floor(low * 10) / 10 - 0.02, 1.02], nticks: 4 });
  }
  if (kind === "loss") {
    // a diverged run would stretch the log axis over hundreds of decades: cap it at 1000× the starting loss
    const start = Math.max(...s.runs.map((r) => r.loss[0] ?? 0));
    const cap = bad.x.length && start > 0 ? 1e3 * start : Infinity;
    const shown = data.map((tr) => ({ y: (tr.y || []).filter((v) => v <= cap) }));
    Object.assign(layout.yaxis, dataTicks(shown));
    if (Number.isFinite(cap)) {
      const lo = Math.min(...shown.flatMap((tr) => tr.y).filter((v) => v > 0));
      layout.yaxis.range = [Math.log10(lo / 1.3), Math.log10(cap)];
      const marks = data.find((tr) => tr.uid === "loss-diverged");
      if (marks) marks.y = marks.y.map((v) => Math.min(v, cap / 1.5));
    }
  }
  return { data, layout };
}

/** λmax per optimizer (solid) against its 2/η (dashed, a step line as the schedule changes η). */
export function sharpnessFigure(s) {
  const data = [];
  s.runs.forEach((r, i) => {
    const sh = r.sharpness;
    data.push({ type: "scatter", mode: sh.steps.length <= 80 ? "lines+markers" : "lines", uid: `lam-${i}`, name: `${s.names[i]} λmax`,
      x: sh.steps.slice(), y: sh.lam_max.slice(), line: { color: s.colors[i], width: 1.8 }, marker: { size: 3.5, color: s.colors[i] },
      hovertemplate: `${s.names[i]}: λmax = %{y:.4g}<extra></extra>` });
    data.push({ type: "scatter", mode: "lines", uid: `two-${i}`, name: `${s.names[i]} 2/η`, x: sh.steps.slice(), y: sh.two_over_eta.slice(),
      line: { color: hexToRgba(s.colors[i], 0.85), width: 1.3, dash: "dash", shape: "hv" },
      hovertemplate: `${s.names[i]}: 2/η = %{y:.4g}<extra></extra>` });
  });
  const layout = chartLayout({ ytype: "log", ytitle: "λmax", xmax: s.total, revision: s.revision });
  const range = sharpRange(s.runs);
  if (range) {
    layout.yaxis.range = [Math.log10(range.lo), Math.log10(range.hi)];
    Object.assign(layout.yaxis, logTicks(range.lo, range.hi));
    const above = s.runs.map((r, i) => [i, Math.min(...r.sharpness.two_over_eta.filter((v) => v > 0))])
      .filter(([, two]) => two > range.hi);
    if (above.length) {
      layout.margin = { ...layout.margin, t: 18 };
      layout.annotations = [{ xref: "paper", yref: "paper", x: 0, y: 1, xanchor: "left", yanchor: "bottom", showarrow: false,
        text: `2/η above: ${above.map(([i, two]) => `<span style="color:${s.colors[i]}">${s.names[i]} ${shortNum(two)}</span>`).join(" · ")}`,
        font: { size: 10, color: MUTED } }];
    }
  }
  return { data, layout };
}

/** y range of the sharpness chart: every λmax and the lowest 2/η (the others are named above it). */
function sharpRange(runs) {
  const lams = runs.flatMap((r) => r.sharpness.lam_max).filter((v) => v > 0);
  const twos = runs.flatMap((r) => r.sharpness.two_over_eta).filter((v) => v > 0 && Number.isFinite(v));
  if (!lams.length) return null;
  const lo = Math.min(...lams, ...(twos.length ? [Math.min(...twos)] : [])) / 1.4;
  const hi = Math.max(...lams, ...(twos.length ? [Math.min(...twos)] : [])) * 1.4;
  return { lo, hi };
}

/** Log-axis ticks for whatever the traces hold. */
function dataTicks(data) {
  let lo = Infinity; let hi = -Infinity;
  for (const tr of data) for (const v of tr.y || []) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return Number.isFinite(lo) && hi > lo ? logTicks(lo / 1.05, hi * 1.05) : {};
}

/** Explicit log-axis ticks, 2 to 6 of them: 1-2-5 steps, else 1-3, else every k-th decade. */
function logTicks(lo, hi) {
  const k0 = Math.floor(Math.log10(lo)); const k1 = Math.ceil(Math.log10(hi));
  const pick = (mantissas, stride = 1) => {
    const vals = [];
    for (let k = k0; k <= k1; k += stride) for (const m of mantissas) { const v = m * 10 ** k; if (v >= lo && v <= hi) vals.push(v); }
    return vals;
  };
  let vals = pick([1, 2, 5]);
  if (vals.length > 6) vals = pick([1, 3]);
  if (vals.length > 6) vals = pick([1], Math.ceil((k1 - k0) / 4));
  if (vals.length < 2) return {}; // a sliver of a decade: Plotly's own ticks
  return { tickmode: "array", tickvals: vals, ticktext: vals.map(shortNum) };
}
