// views/paths-pointer.js — moving the start on the contour plot: click, drag, keys.
//
// - Click: the start goes to the data point under the pointer, read from the click event's own
//   coordinates (never from a hovered trace point, never from an earlier mousemove), clipped to the domain.
// - Drag: press on the start marker (within GRAB_PX), or anywhere with Shift held, and drag (mouse, pen or
//   touch: pointer events); the paths follow live and the URL hash is written on release.
// - Keys: with the plot focused (#plots, Tab reaches it), ←/→/↑/↓ move the start by 1% of the domain
//   (Shift: 10%). In step-through mode the arrow keys step through the run instead (teach/step.js).
// Test hooks: the plot's element ids (#plots, #contour) and window.__losslab.state.start.

const GRAB_PX = 14;
const KEY_STEP = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

export class StartPointer {
  constructor(view, gd, focusEl) {
    Object.assign(this, { view, gd, focusEl });
    this.drag = null;
    focusEl.tabIndex = 0;
    focusEl.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight ArrowUp ArrowDown Shift+ArrowLeft Shift+ArrowRight");
    focusEl.setAttribute("aria-label", "Plot: click to set the start, drag the start marker (or Shift-drag) to move it, "
      + "arrow keys move it (Shift: larger steps)");
    gd.style.touchAction = "none"; // a touch drag on the plot moves the start instead of scrolling the page
    gd.addEventListener("pointerdown", (ev) => this.down(ev), true);
    gd.addEventListener("pointermove", (ev) => this.move(ev), true);
    gd.addEventListener("pointerup", (ev) => this.up(ev, true), true);
    gd.addEventListener("pointercancel", (ev) => this.up(ev, false), true);
    // while dragging the start, Plotly's own drag (zoom box) must not start: it listens to mouse/touch events
    for (const type of ["mousedown", "touchstart", "mousemove", "touchmove", "mouseup", "touchend"]) {
      gd.addEventListener(type, (ev) => { if (this.drag || this.swallow) { ev.stopPropagation(); if (ev.cancelable) ev.preventDefault(); } },
        { capture: true, passive: false });
    }
    focusEl.addEventListener("keydown", (ev) => this.key(ev));
  }

  /** Plot-area pixel geometry: the drag layer's box and the axes (null before the first draw). */
  axes() {
    const fl = this.gd._fullLayout; const box = this.gd.querySelector(".nsewdrag");
    if (!fl?.xaxis || !box) return null;
    return { xa: fl.xaxis, ya: fl.yaxis, rect: box.getBoundingClientRect() };
  }

  /** Data coordinates under a pointer event, clipped to the surface's domain (null off the plot area). */
  toData(ev, { clip = true } = {}) {
    const a = this.axes();
    if (!a) return null;
    const px = ev.clientX - a.rect.left; const py = ev.clientY - a.rect.top;
    if (!clip && (px < 0 || py < 0 || px > a.rect.width || py > a.rect.height)) return null;
    let x = a.xa.p2l(px); let y = a.ya.p2l(py);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
    const d = this.view.scene.info?.domain;
    if (d) { x = Math.min(d.x[1], Math.max(d.x[0], x)); y = Math.min(d.y[1], Math.max(d.y[0], y)); }
    return [x, y];
  }

  nearStart(ev) {
    const a = this.axes(); const s = this.view.store.get().start;
    if (!a || !s) return false;
    const px = a.rect.left + a.xa.l2p(s[0]); const py = a.rect.top + a.ya.l2p(s[1]);
    return Math.hypot(ev.clientX - px, ev.clientY - py) <= GRAB_PX;
  }

  get blocked() { return !!this.view.teach?.active; }

  down(ev) {
    if (!this.blocked) this.focusEl.focus({ preventScroll: true });
    if (this.blocked || ev.button > 0 || this.drag) return;
    if (!(this.nearStart(ev) || ev.shiftKey)) return;
    if (!this.toData(ev, { clip: false })) return; // on the axes or the colour bar, not the plot area
    ev.stopPropagation();
    ev.preventDefault();
    this.drag = { id: ev.pointerId, moved: false };
    this.swallow = true;
    try { this.gd.setPointerCapture(ev.pointerId); } catch { /* synthetic events have no capture */ }
    this.gd.classList.add("dragging-start");
  }

  move(ev) {
    if (!this.drag || ev.pointerId !== this.drag.id) return;
    ev.stopPropagation();
    const p = this.toData(ev);
    if (!p) return;
    this.drag.moved = true;
    this.view.moveStart(p[0], p[1], { transient: true });
  }

  up(ev, commit) {
    if (!this.drag || ev.pointerId !== this.drag.id) return;
    ev.stopPropagation();
    const { moved } = this.drag;
    this.drag = null;
    this.gd.classList.remove("dragging-start");
    try { this.gd.releasePointerCapture(ev.pointerId); } catch { /* already released */ }
    setTimeout(() => { this.swallow = false; }, 0); // the click that follows a drag is not a click on the plot
    const p = commit ? this.toData(ev) : null;
    if (moved || p) this.view.moveStart(...(p || this.view.store.get().start), { transient: false });
  }

  /** plotly_click: a click (no drag) on the plot area sets the start where the click happened. */
  click(ev) {
    if (this.blocked || this.swallow) return;
    const e = ev?.event;
    if (!e || !Number.isFinite(e.clientX)) return;
    const p = this.toData(e, { clip: false });
    if (p) this.view.moveStart(p[0], p[1]);
  }

  key(ev) {
    const dir = KEY_STEP[ev.key];
    if (!dir || this.blocked || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.target !== this.focusEl && ev.target.closest?.("select, input, textarea, button")) return;
    const d = this.view.scene.info?.domain;
    if (!d) return;
    ev.preventDefault();
    const frac = ev.shiftKey ? 0.1 : 0.01;
    const [x, y] = this.view.store.get().start;
    const nx = Math.min(d.x[1], Math.max(d.x[0], x + dir[0] * frac * (d.x[1] - d.x[0])));
    const ny = Math.min(d.y[1], Math.max(d.y[0], y + dir[1] * frac * (d.y[1] - d.y[0])));
    this.view.moveStart(nx, ny);
  }
}
