// plots/live.js — a canvas over the contour's plot area that draws what changes while the user drags
// (paths, start, divergence marks, "now" markers) in a millisecond, between two Plotly draws.
//
// Why: one Plotly.restyle/react of the contour figure redraws every SVG node (contour fills, 800 path
// markers, annotations): ~200 ms on the reference machine. The renderer draws each new run here at
// once and brings the Plotly figure up to date when the input pauses (paths-render.js); while the
// canvas is up, the stale Plotly groups it replaces are hidden (display: none, restored after the sync).
// Pixels match the Plotly figure: same colours, widths and marker sizes, Plotly's own symbol paths.

import { INK } from "./common.js";

const STALE_TRACES = ["path-", "start", "diverged", "now", "axes-"];

export class LiveLayer {
  constructor(gd) {
    this.gd = gd;
    const c = document.createElement("canvas");
    c.className = "live-layer";
    c.setAttribute("aria-hidden", "true");
    c.dataset.testid = "live-layer";
    Object.assign(c.style, { position: "absolute", pointerEvents: "none", left: "0", top: "0", display: "none" });
    const parent = gd.parentElement;
    if (getComputedStyle(parent).position === "static") parent.style.position = "relative";
    parent.append(c);
    this.canvas = c;
    this.active = false;
    this.hiddenEls = [];
  }

  /** The plot area in the parent's pixels and the axes mapping data → pixels (null before Plotly drew). */
  area() {
    const fl = this.gd._fullLayout;
    const xa = fl?.xaxis; const ya = fl?.yaxis;
    if (!xa?._length || !ya?._length || this.gd.hidden) return null;
    return { xa, ya, left: this.gd.offsetLeft + xa._offset, top: this.gd.offsetTop + ya._offset, w: xa._length, h: ya._length };
  }

  /**
   * Draw `s` = {paths: [{xy: [[x, y], ...], color, markers}], start, diverged: [{x, y, color}], now: [{x, y, color}] | null,
   * eig: [{from, to, color, label, at}] | null (start arrows when the start moved), keepEig: bool}.
   */
  draw(s) {
    const a = this.area();
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
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    for (const p of s.paths) {
      ctx.globalAlpha = p.opacity ?? 1;
      ctx.strokeStyle = p.color; ctx.lineWidth = 2;
      ctx.beginPath();
      let pen = false;
      for (const q of p.xy) {
        if (!ok(q)) { pen = false; continue; }
        if (pen) ctx.lineTo(X(q[0]), Y(q[1])); else { ctx.moveTo(X(q[0]), Y(q[1])); pen = true; }
      }
      ctx.stroke();
      if (p.markers) {
        ctx.fillStyle = p.color;
        ctx.beginPath();
        for (const q of p.xy) if (ok(q)) { const x = X(q[0]); const y = Y(q[1]); ctx.moveTo(x + 2.25, y); ctx.arc(x, y, 2.25, 0, 2 * Math.PI); }
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    this.copyMarkers(ctx, a, ["minima-all", "minima", "saddles", "maxima"]);
    if (s.eig) for (const e of s.eig) arrow(ctx, X, Y, e);
    if (ok(s.start)) circle(ctx, X(s.start[0]), Y(s.start[1]), 6.5, "#ffffff", INK, 2.4);
    for (const d of s.diverged) cross(ctx, X(d.x), Y(d.y), 17, d.color);
    if (s.now) for (const n of s.now) if (ok([n.x, n.y])) circle(ctx, X(n.x), Y(n.y), 5.5, n.color, "#ffffff", 2);
    this.hideStale(s.keepEig);
    this.active = true;
    return true;
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
  ctx.strokeStyle = INK; ctx.lineWidth = 1.2; ctx.stroke(p);
  ctx.restore();
}

/** A double-headed arrow from `from` to `to` (data units) with its label, like the start's eigen-arrows. */
function arrow(ctx, X, Y, e) {
  const x0 = X(e.from[0]); const y0 = Y(e.from[1]); const x1 = X(e.to[0]); const y1 = Y(e.to[1]);
  ctx.strokeStyle = e.color; ctx.fillStyle = e.color; ctx.lineWidth = 2.2;
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
    ctx.fillStyle = "rgba(255,255,255,0.82)"; ctx.fillRect(lx - w / 2 - 2, ly - 9, w + 4, 18);
    ctx.fillStyle = e.color; ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(e.label, lx, ly);
  }
}
