// readout.js — local geometry under the cursor (f, ∇f, λ1, λ2, curvature class) via /api/point,
// throttled: at most one request in flight, the latest cursor position wins.

import { isAbort, postJSON } from "./api.js";
import { fmt, h } from "./dom.js";
import { curvatureText } from "./theory.js";

export class Readout {
  constructor({ el, surfaceRef, onGeometry }) {
    Object.assign(this, { el, surfaceRef, onGeometry });
    this.inflight = null;
    this.queued = null;
    this.startGeom = null;
  }

  /** Attach to a Plotly div (once). */
  attach(gd) {
    if (this.gd === gd) return;
    this.gd = gd;
    gd.on("plotly_hover", (ev) => {
      const x = ev?.xvals?.[0]; const y = ev?.yvals?.[0];
      if (Number.isFinite(x) && Number.isFinite(y)) this.request([x, y]);
    });
    gd.on("plotly_unhover", () => { this.queued = null; this.showStart(); });
  }

  request(at) {
    this.queued = at;
    if (this.inflight) return;
    this.pump();
  }

  async pump() {
    const at = this.queued;
    this.queued = null;
    if (!at) return;
    const ac = new AbortController();
    this.inflight = ac;
    try {
      const g = await postJSON("/api/point", { surface: this.surfaceRef(), point: at }, { signal: ac.signal });
      this.show(g, at, false);
      this.onGeometry(g, at);
    } catch (err) {
      if (!isAbort(err)) this.el.textContent = "";
    } finally {
      this.inflight = null;
      if (this.queued) this.pump();
    }
  }

  setStart(geom, at) { this.startGeom = geom ? { geom, at } : null; this.showStart(); }

  showStart() {
    this.onGeometry(null, null);
    if (this.startGeom) this.show(this.startGeom.geom, this.startGeom.at, true);
  }

  show(g, at, isStart) {
    const [l1, l2] = g.eigenvalues;
    const item = (k, v, cls = "") => h("div", { class: `ro ${cls}` }, h("dt", { html: k }), h("dd", { html: v }));
    this.el.replaceChildren(h("dl", {},
      item(isStart ? "start" : "cursor", `(${fmt(at[0])}, ${fmt(at[1])})`, "ro-at"),
      item("f", fmt(g.f, 4)),
      item("∇f", `(${fmt(g.grad[0])}, ${fmt(g.grad[1])})`),
      item("λ<sub>1</sub>", fmt(l1), l1 < 0 ? "neg" : ""),
      item("λ<sub>2</sub>", fmt(l2), l2 < 0 ? "neg" : ""),
      item("", curvatureText(g.curvature), `ro-class ${g.curvature}`)));
  }
}
