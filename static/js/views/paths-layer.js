// views/paths-layer.js — the contour figure's surface layer: #contour-surface (filled contour, colour bar, axes;
// plots/contour.js surfaceLayer) is a static Plotly figure under the transparent paths' figure #contour, with the
// same plot area. It is redrawn only when what it shows changes (surface, levels, colour bar, size, domain), in a
// task of its own, and follows the figure's zoom and pan; the PNG export stacks the two.

import { h } from "../dom.js";
import { plotly } from "../plots/common.js";
import { surfaceLayer } from "../plots/contour.js";

// a picture only: the figure over it takes the pointer
const CONFIG = { staticPlot: true, displayModeBar: false, responsive: false };

export class SurfaceLayer {
  /** `gd`: the layer's div, `figure`: the paths' figure; onDrawn() after each draw, onError(err). */
  constructor(gd, figure, { onDrawn, onError }) {
    Object.assign(this, { gd, figure, onDrawn, onError });
    this.pending = false;
  }

  /**
   * Draw the layer for scene state `s` if it shows something else; true if a draw is due. A new size is drawn
   * at once, in the task that redraws the figure over it (a resize must not show them a frame apart); anything
   * else in the next task (two shorter tasks: the page keeps answering input).
   */
  soon(s) {
    const key = JSON.stringify([s.showscale, s.size, s.revision]);
    if (s.zT === this.z && key === this.key) return this.pending;
    const resized = this.s && JSON.stringify(s.size) !== JSON.stringify(this.s.size);
    Object.assign(this, { z: s.zT, key, s, pending: true });
    clearTimeout(this.timer);
    if (resized) this.draw();
    else this.timer = setTimeout(() => this.draw(), 0);
    return this.pending;
  }

  /** The pending draw, now. */
  draw() {
    clearTimeout(this.timer);
    if (!this.pending) return;
    this.pending = false;
    try {
      const fig = surfaceLayer(this.s, this.ranges());
      plotly().react(this.gd, fig.data, fig.layout, CONFIG);
    } catch (err) { this.onError(err); }
    this.onDrawn();
  }

  /** The figure's axis ranges (its zoom). */
  ranges() {
    const fl = this.figure._fullLayout;
    return { x: [...fl.xaxis.range], y: [...fl.yaxis.range] };
  }

  /** Follow a zoom or pan of the figure (plotly_relayout(ing)): at most once a frame while a pan is dragged. */
  follow() {
    if (this.raf || !this.gd.data || this.pending) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = null;
      const r = this.ranges(); const fl = this.gd._fullLayout;
      if (String(r.x) === String(fl.xaxis.range) && String(r.y) === String(fl.yaxis.range)) return;
      plotly().relayout(this.gd, { "xaxis.range": r.x, "yaxis.range": r.y });
    });
  }

  /** Download the layer and the figure over it as one PNG (Plotly exports one div at a time). */
  async png(filename) {
    const opts = { format: "png", scale: 2 };
    const urls = await Promise.all([this.gd, this.figure].map((gd) => plotly().toImage(gd, opts)));
    const imgs = await Promise.all(urls.map((src) => new Promise((ok, fail) => {
      const img = new Image();
      img.onload = () => ok(img); img.onerror = fail; img.src = src;
    })));
    const c = document.createElement("canvas");
    c.width = imgs[0].width; c.height = imgs[0].height;
    for (const img of imgs) c.getContext("2d").drawImage(img, 0, 0);
    h("a", { href: c.toDataURL("image/png"), download: `${filename}.png` }).click();
  }
}
