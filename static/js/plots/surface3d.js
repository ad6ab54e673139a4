// plots/surface3d.js — the surface in 3D with the paths lifted onto it (same level transform as the contour).

import { indexAt } from "./contour.js";
import { FONT, INK, SURFACE_SCALE, levelTransform } from "./common.js";

let webglOk = null;
/** WebGL is needed for 3D; without it we show a note instead of a broken canvas. */
export function hasWebGL() {
  if (webglOk === null) {
    try {
      const c = document.createElement("canvas");
      webglOk = !!(c.getContext("webgl2") || c.getContext("webgl"));
    } catch { webglOk = false; }
  }
  return webglOk;
}

const inBox = (p, d) => p[0] >= d.x[0] && p[0] <= d.x[1] && p[1] >= d.y[0] && p[1] <= d.y[1];

export const COARSE_MESH_N = 61; // vertices per side of the mesh drawn first for a new surface (plots/surface3d.js)

/** Every `k`-th vertex of the grid's transformed z (and x, y), the edges kept: a mesh ~k² times cheaper to build. */
function thinned(grid, zT, k) {
  const idx = [];
  for (let i = 0; i < grid.x.length; i += k) idx.push(i);
  if (idx[idx.length - 1] !== grid.x.length - 1) idx.push(grid.x.length - 1);
  const jdx = [];
  for (let j = 0; j < grid.y.length; j += k) jdx.push(j);
  if (jdx[jdx.length - 1] !== grid.y.length - 1) jdx.push(grid.y.length - 1);
  return { x: idx.map((i) => grid.x[i]), y: jdx.map((j) => grid.y[j]), z: jdx.map((j) => idx.map((i) => zT[j][i])) };
}

/**
 * `s` as for contourFigure. Points outside the domain are dropped (null) so the box stays put. `coarse`: build
 * the surface from every other grid vertex (a new surface is shown at once, and sharpened when the input pauses).
 */
export function surfaceFigure(s, { coarse = false } = {}) {
  const { info, run, names, colors } = s;
  // 3D reads best with a gentler transform than the contour's (two decades, not four): a bowl, not a funnel
  const levels = levelTransform(s.grid.zmin ?? 0, s.grid.zmax ?? 1, s.log, 2);
  if (s.grid._z3Key !== String(s.log)) { // cached on the grid: the same array lets Plotly.react skip the mesh
    s.grid._z3 = s.grid.z.map((row) => row.map((v) => (v === null ? null : levels.fwd(v))));
    s.grid._z3Key = String(s.log);
    s.grid._z3c = null;
  }
  const k = coarse ? Math.ceil((s.grid.x.length - 1) / (COARSE_MESH_N - 1)) : 1;
  if (k > 1 && !s.grid._z3c) s.grid._z3c = thinned(s.grid, s.grid._z3, k);
  const mesh = k > 1 ? s.grid._z3c : { x: s.grid.x, y: s.grid.y, z: s.grid._z3 };
  const domain = info.domain;
  const lift = (levels.hi - levels.lo) * 0.02; // paths float just above the mesh instead of cutting through it
  const data = [{
    type: "surface", uid: "surface3d", x: mesh.x, y: mesh.y, z: mesh.z, colorscale: SURFACE_SCALE, showscale: false,
    opacity: 0.96, hoverinfo: "skip",
    contours: { z: { show: true, start: levels.lo, end: levels.hi, size: (levels.hi - levels.lo) / 22,
      color: "rgba(29,36,51,0.28)", width: 1, usecolormap: false } },
    lighting: { ambient: 0.8, diffuse: 0.45, specular: 0.05, roughness: 0.9 },
  }];
  const runs = run && run.surfaceKey === s.surfaceKey ? run.runs : [];
  const now = { x: [], y: [], z: [], color: [] };
  runs.forEach((r, i) => {
    const keep = r.path.map((p) => inBox(p, domain));
    const z = r.loss.map((f, t) => (keep[t] ? levels.fwd(f) + lift : null));
    data.push({
      type: "scatter3d", mode: r.path.length <= 600 ? "lines+markers" : "lines", uid: `path3d-${i}`, name: names[i],
      x: r.path.map((p, t) => (keep[t] ? p[0] : null)), y: r.path.map((p, t) => (keep[t] ? p[1] : null)), z,
      line: { color: colors[i], width: 5 }, marker: { color: colors[i], size: 2.2 },
      hovertemplate: `<b>${names[i]}</b><br>t = %{pointNumber}<extra></extra>`,
    });
    if (r.path.length) {
      const k = indexAt(r, s.t);
      now.x.push(keep[k] ? r.path[k][0] : null); now.y.push(keep[k] ? r.path[k][1] : null);
      now.z.push(z[k]); now.color.push(colors[i]);
    }
  });
  const minima = (info.minima || []).slice(0, 40);
  if (minima.length) {
    data.push({ type: "scatter3d", mode: "markers", uid: "minima3d", name: "minima", hoverinfo: "skip",
      x: minima.map((m) => m.x), y: minima.map((m) => m.y), z: minima.map((m) => levels.fwd(m.f) + lift),
      marker: { symbol: "diamond", size: 5, color: "#FFD23F", line: { color: INK, width: 1 } } });
  }
  data.push({ type: "scatter3d", mode: "markers", uid: "start3d", name: "start", hoverinfo: "skip",
    x: [s.start[0]], y: [s.start[1]], z: [s.startF === null || s.startF === undefined ? null : levels.fwd(s.startF) + lift],
    marker: { size: 6, color: "#fff", line: { color: INK, width: 2 } } });
  data.push({ type: "scatter3d", mode: "markers", uid: "now3d", name: "now", hoverinfo: "skip", ...now3(now) });
  // two invisible corners pin the scene's data bounds to the axes' box: Plotly scales every trace, the surface
  // mesh included, by those bounds, so paths that reach higher or lower would force a rebuild of the mesh
  data.push({ type: "scatter3d", mode: "markers", uid: "box3d", name: "box", hoverinfo: "skip", x: domain.x, y: domain.y,
    z: [levels.lo, levels.hi + lift * 4], marker: { size: 1, opacity: 0 } });
  const ax = (title, range) => ({ title: { text: title }, range, backgroundcolor: "#faf7f0", gridcolor: "#e3e1da",
    showbackground: true, zeroline: false, tickfont: { size: 12, color: INK } });
  const layout = {
    font: FONT, margin: { l: 0, r: 0, t: 0, b: 0 }, paper_bgcolor: "rgba(0,0,0,0)", showlegend: false,
    uirevision: s.revision,
    scene: {
      xaxis: ax("x", domain.x), yaxis: ax("y", domain.y),
      zaxis: { ...ax("f", [levels.lo, levels.hi + lift * 4]), ...levels.ticks() },
      aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.6 },
      camera: { eye: { x: -0.95, y: -1.35, z: 1.05 }, center: { x: 0, y: 0, z: -0.12 } }, // the box fills the frame
    },
  };
  return { data, layout, levels, coarse: k > 1 };
}

function now3(now) {
  return { x: now.x, y: now.y, z: now.z, marker: { size: 6, color: now.color, line: { color: "#fff", width: 1 } } };
}

// ---- keep the surface mesh across path-only changes ---------------------------------------------------------
// Plotly's gl3d scene calls update() on every trace object at every react/restyle, and the surface's update
// rebuilds its whole mesh and contour lines (measured: the largest part of a 3D η redraw) even when only the
// paths changed. keepSurfaceMesh wraps that update so it runs only when what the mesh is made of changed: the
// z/x/y arrays (surfaceFigure hands the same arrays while the surface is the same), the colours, contours,
// lighting and opacity, and the scene's data scale (pinned by the "box3d" corners).
const ids = new WeakMap();
let nextId = 0;
const idOf = (v) => {
  if (!v || typeof v !== "object") return String(v);
  if (!ids.has(v)) ids.set(v, ++nextId);
  return ids.get(v);
};
const meshKey = (d, scene) => JSON.stringify([idOf(d.z), idOf(d.x), idOf(d.y), d.colorscale, d.contours, d.lighting,
  d.opacity, d.cmin, d.cmax, d.hidesurface, scene.dataScale]);

/**
 * The contour levels the trace's setContourLevels asks for at every render (Plotly's surface/convert.js), in the
 * scene's scaled units; null when no contours are shown.
 */
function renderLevels(obj) {
  if (!obj.showContour?.some(Boolean)) return null;
  const out = [[], [], []];
  for (let i = 0; i < 3; i++) {
    if (!obj.showContour[i]) continue;
    const start = obj.contourStart[i]; const end = obj.contourEnd[i]; const size = obj.contourSize[i];
    if (!(size > 0 && start !== null && end !== null && end > start)) { out[i] = obj.scene.contourLevels[i]; continue; }
    for (let v = start; v < end; v += size) { const a = v * obj.scene.dataScale[i]; if (!out[i].includes(a)) out[i].push(a); }
  }
  return out;
}

/**
 * After a Plotly draw of `gd` (a surfaceFigure): make its surface trace skip updates that would not change it,
 * and build a new mesh's contour lines once. Plotly hands a mesh build the axis ticks' levels, and the render
 * that follows sets the trace's own levels, so the lines were traced twice (~40 ms at 121² in software GL);
 * the build now gets the render's levels, which the render then finds unchanged. Plotly's refinement of grids
 * under 120 vertices a side (interpolated up to ~2×) is off: a coarse mesh (COARSE_MESH_N) stays coarse.
 */
export function keepSurfaceMesh(gd) {
  const scene = gd?._fullLayout?.scene?._scene;
  for (const obj of Object.values(scene?.traces || {})) {
    if (obj?.data?.type !== "surface" || obj.__losslabMesh !== undefined || typeof obj.update !== "function") continue;
    obj.__losslabMesh = meshKey(obj.data, scene);
    obj.refineData = false;
    const update = obj.update;
    obj.update = function (data) {
      const key = meshKey(data, scene);
      if (key === this.__losslabMesh) { this.data = data; return undefined; } // the same mesh: nothing to rebuild
      this.__losslabMesh = key;
      return update.call(this, data);
    };
    const surface = obj.surface;
    const build = surface?.update;
    if (typeof build !== "function") continue;
    surface.update = function (params) {
      const levels = params?.coords && params.levels ? renderLevels(obj) : null;
      if (levels) {
        params.levels = levels;
        this.contourLevels = [[], [], []]; // new coordinates: trace the lines again even if the levels are the same
      }
      return build.call(this, params);
    };
  }
}
