// views/paths-pointer.js — moving the start on the contour plot: click, drag, keys.
//
// - Click: the start goes to the data point under the pointer, read from the click's own coordinates
//   (never from a hovered trace point, never from an earlier mousemove): at the pointer's release when it
//   has not moved (tap), else from Plotly's click event.
// - Drag: press on the start marker (within GRAB_PX), or anywhere with Shift held, and drag (mouse, pen or
//   touch: pointer events); the paths follow live and the URL hash is written on release.
// - Keys: with the plot focused (#plots, Tab reaches it), ←/→/↑/↓ move the start by 1% of the domain
//   (Shift: 10%). In step-through mode the arrow keys step through the run instead (teach/step.js).
// Test hooks: the plot's element ids (#plots, #contour) and window.__losslab.state.start.

const GRAB_PX = 14;
const TAP_PX = 3; // below Plotly's drag threshold: a press moved further is a zoom box (or Plotly's click)
const TAP_DEDUP_MS = 600; // Plotly's click event for a press tap() already handled
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
    // a press on the plot area (Plotly's drag layer, not the mode bar) that is released in place is a click
    this.press = ev.isPrimary !== false && ev.target?.closest?.(".draglayer") ? { id: ev.pointerId, x: ev.clientX, y: ev.clientY } : null;
    // Plotly covers the page with its own element while a button is down: the release reaches the window only
    if (this.press) window.addEventListener("pointerup", (e) => this.tap(e, true), { capture: true, once: true });
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
    if (!this.drag) { if (!commit) this.press = null; return; } // a release in place: tap(), from the window
    if (ev.pointerId !== this.drag.id) return;
    ev.stopPropagation();
    const { moved } = this.drag;
    this.drag = null;
    this.gd.classList.remove("dragging-start");
    try { this.gd.releasePointerCapture(ev.pointerId); } catch { /* already released */ }
    setTimeout(() => { this.swallow = false; }, 0); // the click that follows a drag is not a click on the plot
    const p = commit ? this.toData(ev) : null;
    if (moved || p) this.view.moveStart(...(p || this.view.store.get().start), { transient: false });
  }

  /**
   * A press released within TAP_PX of where it started sets the start at once, from the release's own
   * coordinates: Plotly's click event comes after its hover pass over every trace (tens of ms).
   */
  tap(ev, commit) {
    const p0 = this.press;
    this.press = null;
    if (!commit || !p0 || p0.id !== ev.pointerId || this.blocked || this.swallow) return;
    if (Math.hypot(ev.clientX - p0.x, ev.clientY - p0.y) > TAP_PX) return; // a zoom box, or Plotly's to judge
    const p = this.toData(ev, { clip: false });
    if (!p) return;
    this.tapped = performance.now();
    this.view.moveStart(p[0], p[1]);
  }

  /** plotly_click: a click (no drag) on the plot area sets the start where the click happened. */
  click(ev) {
    if (this.blocked || this.swallow) return;
    if (performance.now() - (this.tapped ?? -Infinity) < TAP_DEDUP_MS) return; // tap() has set it already
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
