// plots/live.js — a canvas over the contour's plot area that draws what changes while the user drags
// (paths, start, divergence marks, "now" markers) in a millisecond, between two Plotly draws.
//
// Why: one Plotly.restyle/react of the contour figure redraws every SVG node (contour fills, 800 path
// markers, annotations): ~200 ms on the reference machine. The renderer draws each new run here at
// once and brings the Plotly figure up to date when the input pauses (paths-render.js); while the
// canvas is up, the stale Plotly groups it replaces are hidden (display: none, restored after the sync).
// Pixels match the Plotly figure: same colours, widths and marker sizes, Plotly's own symbol paths.

import { INK, SURFACE_SCALE, themeColor as tc } from "./common.js";

// tc: the figures' light ↔ dark colour table (display.js themes every Plotly figure through it): the canvas too
const theme = () => document.documentElement.dataset.theme || "light";

const STALE_TRACES = ["path-", "start", "diverged", "now", "axes-"];

export class LiveLayer {
  constructor(gd) {
    this.gd = gd;
    const c = document.createElement("canvas");
    c.className = "live-layer";
    c.setAttribute("aria-hidden", "true");
    c.dataset.testid = "live-layer";
    Object.assign(c.style, { position: "absolute", pointerEvents: "none", left: "0", top: "0", display: "none" });
    gd.parentElement.append(c); // positioned in the parent (.plots is position: relative, static/css/app.css)
    this.canvas = c;
    this.active = false;
    this.hiddenEls = [];
  }

  /**
   * The plot area in the parent's pixels and the axes mapping data → pixels: Plotly's, or `axes` ({xa, ya}
   * laid out like Plotly's, plots/contour.js contourAxes) before Plotly has drawn; null if neither.
   */
  area(axes) {
    const fl = this.gd._fullLayout;
    const xa = axes?.xa || fl?.xaxis; const ya = axes?.ya || fl?.yaxis;
    if (!xa?._length || !ya?._length || this.gd.hidden) return null;
    return { xa, ya, left: this.gd.offsetLeft + xa._offset, top: this.gd.offsetTop + ya._offset, w: xa._length, h: ya._length };
  }

  /**
   * Draw `s` = {paths: [{xy: [[x, y], ...], color, markers}], start, diverged: [{x, y, color}], now: [{x, y, color}] | null,
   * eig: [{from, to, color, label, at}] | null (start arrows when the start moved), keepEig: bool}.
   * `axes`: the frame to draw in before Plotly has drawn the figure (the page's first frame).
   */
  draw(s, axes = null) {
    const a = this.area(axes);
    if (!a) return false;
    const c = this.canvas; const dpr = window.devicePixelRatio || 1;
    const W = Math.round(a.w * dpr); const H = Math.round(a.h * dpr);
    if (c.width !== W || c.height !== H) { c.width = W; c.height = H; }
    Object.assign(c.style, { left: `${a.left}px`, top: `${a.top}px`, width: `${a.w}px`, height: `${a.h}px`, display: "block" });
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, a.w, a.h);
    const X = (v) => a.xa.l2p(v); const Y = (v) => a.ya.l2p(v);
    const ok = (p) => p && Number.isFinite(p[0]) && Number.isFinite(p[1]);
    if (s.surface) { this.drawSurface(ctx, a, s.surface); this.warmed = true; }
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    // the figure's 2 px paths, ≥ 3 px in presentation mode (display.js enlarges the figure's)
    const pathWidth = document.documentElement.dataset.present === "1" ? 3 : 2;
    for (const p of s.paths) {
      ctx.globalAlpha = p.opacity ?? 1;
      ctx.strokeStyle = tc(p.color); ctx.lineWidth = pathWidth;
      ctx.beginPath();
      let pen = false;
      for (const q of p.xy) {
        if (!ok(q)) { pen = false; continue; }
        if (pen) ctx.lineTo(X(q[0]), Y(q[1])); else { ctx.moveTo(X(q[0]), Y(q[1])); pen = true; }
      }
      ctx.stroke();
      if (p.markers) {
        ctx.fillStyle = tc(p.color);
        ctx.beginPath();
        for (const q of p.xy) if (ok(q)) { const x = X(q[0]); const y = Y(q[1]); ctx.moveTo(x + 2.25, y); ctx.arc(x, y, 2.25, 0, 2 * Math.PI); }
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    if (s.surface) this.drawMarks(ctx, X, Y, s.surface.info);
    else this.copyMarkers(ctx, a, ["minima-all", "minima", "saddles", "maxima"]);
    if (s.eig) for (const e of s.eig) arrow(ctx, X, Y, e);
    if (ok(s.start)) circle(ctx, X(s.start[0]), Y(s.start[1]), 6.5, tc("#ffffff"), tc(INK), 2.4);
    for (const d of s.diverged) cross(ctx, X(d.x), Y(d.y), 17, tc(d.color));
    if (s.now) for (const n of s.now) if (ok([n.x, n.y])) circle(ctx, X(n.x), Y(n.y), 5.5, tc(n.color), tc("#ffffff"), 2);
    this.hideStale(s.keepEig);
    this.active = true;
    return true;
  }

  /**
   * A new surface (κ, θ, ... dragged) as filled contour bands with their lines, rasterized here: the
   * transformed grid `zT` interpolated bilinearly at every pixel, banded like the Plotly contour (same
   * levels, same colour per band: Plotly's contour colour map), a darker pixel where the band changes.
   * Flat typed arrays and one 32-bit write per pixel: a few ms for the whole plot.
   */
  drawSurface(ctx, a, surf) {
    const { grid, zT, levels } = surf;
    // a large plot is rasterized at half resolution (a quarter of the pixels) and scaled up: the Plotly
    // figure redraws it sharp when the input pauses
    const step = a.w * a.h > 120000 ? 2 : 1;
    const w = Math.max(1, Math.ceil(a.w / step)); const h = Math.max(1, Math.ceil(a.h / step));
    if (!this.raster || this.raster.width !== w || this.raster.height !== h) {
      this.raster = new OffscreenCanvasOr(w, h);
      this.rasterImg = this.raster.getContext("2d").createImageData(w, h);
      this.pixels = new Uint32Array(this.rasterImg.data.buffer);
      this.bands = new Int16Array(w * h);
    }
    const px = this.pixels; const bands = this.bands;
    const nx = grid.x.length; const ny = grid.y.length;
    const z = flatGrid(zT, nx, ny);
    const gx0 = grid.x[0]; const gdx = (grid.x[nx - 1] - gx0) / (nx - 1);
    const gy0 = grid.y[0]; const gdy = (grid.y[ny - 1] - gy0) / (ny - 1);
    const nc = 23; const inv = 22 / (levels.hi - levels.lo); const lo = levels.lo;
    const { fill, line } = bandPixels(nc, step > 1 ? 0.92 : 0.86); // a 2-px line is drawn lighter
    // per column: the grid cell and the weight of its right neighbour (−1: outside the grid)
    const c0s = new Int32Array(w); const txs = new Float64Array(w);
    for (let i = 0; i < w; i++) {
      const fx = (a.xa.p2l((i + 0.5) * step) - gx0) / gdx;
      const c0 = Math.floor(fx);
      c0s[i] = c0 >= 0 && c0 + 1 < nx ? c0 : -1; txs[i] = fx - c0;
    }
    const NONE = -32768;
    for (let j = 0; j < h; j++) {
      const fy = (a.ya.p2l((j + 0.5) * step) - gy0) / gdy;
      const r0 = Math.floor(fy); const ty = fy - r0;
      const rowOk = r0 >= 0 && r0 + 1 < ny;
      const A = r0 * nx; const B = A + nx; const row = j * w;
      let left = NONE;
      for (let i = 0; i < w; i++) {
        const k = row + i;
        const c0 = c0s[i];
        let band = NONE;
        if (rowOk && c0 >= 0) {
          const tx = txs[i];
          const v = (z[A + c0] * (1 - tx) + z[A + c0 + 1] * tx) * (1 - ty) + (z[B + c0] * (1 - tx) + z[B + c0 + 1] * tx) * ty;
          if (v === v) { // NaN where a corner is not finite
            band = Math.floor((v - lo) * inv);
            band = band < -1 ? -1 : band > nc - 1 ? nc - 1 : band;
          }
        }
        bands[k] = band;
        if (band === NONE) px[k] = 0;
        else px[k] = (left !== band && i > 0) || (j > 0 && bands[k - w] !== band) ? line[band + 1] : fill[band + 1];
        left = band;
      }
    }
    this.raster.getContext("2d").putImageData(this.rasterImg, 0, 0);
    ctx.fillStyle = tc("#faf7f0");
    ctx.fillRect(0, 0, a.w, a.h);
    ctx.drawImage(this.raster, 0, 0, a.w, a.h);
  }

  /**
   * Compile the rasterizer before the first κ drag (cold, the first full-size raster takes several times as
   * long): small rasterizations of `surf` off screen, one per idle callback, so none is a long task. Not
   * needed when the first frame rasterized a surface already (draw sets `warmed`).
   */
  warm(surf, n = 12) {
    const a = this.area();
    if (!a || this.warmed) return;
    this.warmed = true;
    const ghost = Object.create(LiveLayer.prototype); // its own raster buffers, the same (JIT-compiled) code
    const scratch = new OffscreenCanvasOr(32, 32).getContext("2d");
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 0));
    const step = (k) => idle(() => { ghost.drawSurface(scratch, { ...a, w: 32, h: 32 }, surf); if (k > 1) step(k - 1); });
    step(n);
  }

  /** Minima (★) and saddles (✕) of a surface the Plotly figure does not show yet, in Plotly's symbols. */
  drawMarks(ctx, X, Y, info) {
    const minima = info.minima || []; const saddles = info.saddles || [];
    const fbest = Math.min(...minima.map((m) => m.f));
    const stars = minima.length > 40 ? minima.filter((m) => m.f <= fbest + 1e-9) : minima;
    for (const m of stars) {
      const r = (m.f <= fbest + 1e-9 ? 17 : 12) / 2;
      mark(ctx, X(m.x), Y(m.y), starPath(r), "#FFD23F", tc(INK), 1.2);
    }
    if (saddles.length <= 40) for (const m of saddles) mark(ctx, X(m.x), Y(m.y), xThinPath(6), null, tc(INK), 2.2);
  }

  /** Stationary-point marks are drawn again on top (the paths must not cover them), from Plotly's own SVG. */
  copyMarkers(ctx, a, uids) {
    for (const uid of uids) {
      for (const el of this.gd.querySelectorAll(`.trace${uid} path.point`)) {
        const m = /translate\(([-\d.e]+),\s*([-\d.e]+)\)/.exec(el.getAttribute("transform") || "");
        if (!m) continue;
        ctx.save();
        // Plotly's point transforms are relative to the plot area, like this canvas
        ctx.translate(Number(m[1]), Number(m[2]));
        const path = new Path2D(el.getAttribute("d"));
        const st = el.style;
        if (st.fill && st.fill !== "none") { ctx.fillStyle = st.fill; ctx.globalAlpha = Number(st.fillOpacity || 1); ctx.fill(path); }
        const w = parseFloat(st.strokeWidth);
        if (st.stroke && st.stroke !== "none" && w > 0) {
          ctx.strokeStyle = st.stroke; ctx.lineWidth = w; ctx.globalAlpha = Number(st.strokeOpacity || 1); ctx.stroke(path);
        }
        ctx.restore();
      }
    }
  }

  /** Hide the Plotly groups the canvas replaces (restored by clear()). */
  hideStale(keepEig) {
    const gd = this.gd;
    const els = [];
    for (const g of gd.querySelectorAll(".scatterlayer > g.trace")) {
      const cls = [...g.classList].find((k) => k.startsWith("trace") && k !== "trace") || "";
      if (STALE_TRACES.some((p) => cls.slice(5).startsWith(p))) els.push(g);
    }
    const notes = gd.layout?.annotations || [];
    for (const g of gd.querySelectorAll("g.annotation")) {
      const name = String(notes[Number(g.dataset.index)]?.name || "");
      if (name.startsWith("diverged-") || (!keepEig && name.startsWith("eig-"))) els.push(g);
    }
    for (const el of els) el.style.display = "none";
    this.hiddenEls = els;
  }

  /** The Plotly figure is current again: drop the canvas, show every group. */
  clear() {
    for (const el of this.hiddenEls) el.style.display = "";
    for (const g of this.gd.querySelectorAll(".scatterlayer > g.trace, g.annotation")) if (g.style.display === "none") g.style.display = "";
    this.hiddenEls = [];
    this.canvas.style.display = "none";
    this.active = false;
  }
}

function circle(ctx, x, y, r, fill, stroke, width) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill; ctx.fill();
  ctx.strokeStyle = stroke; ctx.lineWidth = width; ctx.stroke();
}

/** Plotly's "x" marker symbol (size = diameter), filled in `color` with a thin ink outline. */
function cross(ctx, x, y, size, color) {
  const rx = Math.round(((size / 2) * 0.8) / Math.SQRT2 * 100) / 100;
  const d = `M0,${rx}l${rx},${rx}l${rx},-${rx}l-${rx},-${rx}l${rx},-${rx}l-${rx},-${rx}l-${rx},${rx}l-${rx},-${rx}`
    + `l-${rx},${rx}l${rx},${rx}l-${rx},${rx}l${rx},${rx}Z`;
  ctx.save();
  ctx.translate(x, y);
  const p = new Path2D(d);
  ctx.fillStyle = color; ctx.fill(p);
  ctx.strokeStyle = tc(INK); ctx.lineWidth = 1.2; ctx.stroke(p);
  ctx.restore();
}

/** A double-headed arrow from `from` to `to` (data units) with its label, like the start's eigen-arrows. */
function arrow(ctx, X, Y, e) {
  const x0 = X(e.from[0]); const y0 = Y(e.from[1]); const x1 = X(e.to[0]); const y1 = Y(e.to[1]);
  const color = tc(e.color);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2.2;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  for (const [px, py, qx, qy] of [[x1, y1, x0, y0], [x0, y0, x1, y1]]) {
    const ang = Math.atan2(py - qy, px - qx); const L = 8;
    ctx.beginPath();
    ctx.moveTo(px, py);
    ctx.lineTo(px - L * Math.cos(ang - 0.45), py - L * Math.sin(ang - 0.45));
    ctx.lineTo(px - L * Math.cos(ang + 0.45), py - L * Math.sin(ang + 0.45));
    ctx.closePath(); ctx.fill();
  }
  if (e.label) {
    ctx.font = "12px system-ui, sans-serif";
    const w = ctx.measureText(e.label).width;
    const lx = X(e.at[0]); const ly = Y(e.at[1]);
    ctx.fillStyle = tc("rgba(255,255,255,0.82)"); ctx.fillRect(lx - w / 2 - 2, ly - 9, w + 4, 18);
    ctx.fillStyle = color; ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(e.label, lx, ly);
  }
}

const OffscreenCanvasOr = typeof OffscreenCanvas === "function" ? OffscreenCanvas
  : function canvas(w, h) { const c = document.createElement("canvas"); c.width = w; c.height = h; return c; };

/** zT (rows of numbers or null) as one Float64Array, NaN for null; cached per zT array. */
const flatCache = new WeakMap();
/** The flat array of `zT` when its maker has it already (paths-render.js levels). */
export const rememberFlat = (zT, flat) => flatCache.set(zT, flat);
function flatGrid(zT, nx, ny) {
  let z = flatCache.get(zT);
  if (z) return z;
  z = new Float64Array(nx * ny);
  for (let r = 0; r < ny; r++) {
    const row = zT[r];
    for (let c = 0; c < nx; c++) { const v = row[c]; z[r * nx + c] = v === null || v === undefined ? NaN : v; }
  }
  flatCache.set(zT, z);
  return z;
}

let bandCache = null;
/**
 * Pixels (RGBA packed in the platform's byte order) of band k − 1 (k = 0: below the first level) as Plotly's
 * contour fill gives it, the scale at k/nc; `line`: the same mixed with the ink (weight 1 − f), for band edges.
 */
function bandPixels(nc, f) {
  const th = theme();
  if (bandCache?.nc === nc && bandCache.f === f && bandCache.th === th) return bandCache;
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const stops = SURFACE_SCALE.map(([t, hex]) => [t, rgb(tc(hex))]);
  const at = (t) => {
    for (let i = 1; i < stops.length; i++) {
      if (t <= stops[i][0]) {
        const [t0, c0] = stops[i - 1]; const [t1, c1] = stops[i];
        const u = (t - t0) / (t1 - t0 || 1);
        return c0.map((v, k) => v + (c1[k] - v) * u);
      }
    }
    return stops[stops.length - 1][1];
  };
  const pack = (c) => { const b = new Uint8ClampedArray([c[0], c[1], c[2], 255]); return new Uint32Array(b.buffer)[0]; };
  const ink = rgb(tc(INK)); // contour line: Plotly's 0.7 px rgba(29, 36, 51, 0.22) ≈ 14% ink (f = 0.86)
  const fill = new Uint32Array(nc + 1); const line = new Uint32Array(nc + 1);
  for (let k = -1; k < nc; k++) {
    const c = at(Math.min(1, Math.max(0, (k + 1) / nc)));
    fill[k + 1] = pack(c);
    line[k + 1] = pack(c.map((v, i) => v * f + ink[i] * (1 - f)));
  }
  bandCache = { nc, f, th, fill, line };
  return bandCache;
}

const r2 = (v) => Math.round(v * 100) / 100;
/** Plotly's "star" marker path for radius r. */
function starPath(r) {
  const i = r * 1.4;
  const [n, a, o, s, l, u, c, f, h] = [i * 0.225, i * 0.951, i * 0.363, i * 0.588, -i, i * -0.309, i * 0.118, i * 0.809, i * 0.382].map(r2);
  return `M${n},${u}H${a}L${o},${c}L${s},${f}L0,${h}L-${s},${f}L-${o},${c}L-${a},${u}H-${n}L0,${l}Z`;
}
/** Plotly's "x-thin" marker path for radius r. */
const xThinPath = (r) => `M${r},${r}L-${r},-${r}M${r},-${r}L-${r},${r}`;

function mark(ctx, x, y, d, fill, stroke, width) {
  ctx.save();
  ctx.translate(x, y);
  const p = new Path2D(d);
  if (fill) { ctx.fillStyle = fill; ctx.fill(p); }
  ctx.strokeStyle = stroke; ctx.lineWidth = width; ctx.stroke(p);
  ctx.restore();
}
