// scrubber.js — the shared time control: a range over steps and a play/pause button.
// `follow` keeps the marker at the end while a run streams in, until the user scrubs.

export class Scrubber {
  constructor({ range, label, play, onTime }) {
    Object.assign(this, { range, label, play, onTime });
    this.max = Number(range.max) || 0;
    this.t = this.max;
    this.follow = true;
    this.timer = null;
    range.addEventListener("input", () => { this.stop(); this.follow = Number(range.value) >= this.max; this.set(Number(range.value)); });
    play.addEventListener("click", () => (this.timer ? this.stop() : this.start()));
  }

  /** New data: extend the range; a following scrubber jumps to the new end. */
  setMax(n) {
    this.max = Math.max(0, n);
    this.range.max = String(this.max);
    if (this.follow || this.t > this.max) this.set(this.max, true);
    else this.paint();
  }

  set(t, quiet = false) {
    this.t = Math.max(0, Math.min(Math.round(t), this.max));
    this.paint();
    if (!quiet) this.onTime(this.t);
  }

  paint() {
    this.range.value = String(this.t);
    this.label.textContent = `t = ${this.t} / ${this.max}`;
    this.range.setAttribute("aria-valuetext", `step ${this.t} of ${this.max}`);
  }

  start() {
    if (this.max <= 0) return;
    if (this.t >= this.max) this.set(0);
    this.follow = false;
    this.play.classList.add("playing");
    this.play.setAttribute("aria-label", "Pause");
    // time-based: the whole range plays in about four seconds however slow each frame is
    const t0 = this.t; const began = performance.now();
    const tick = (now) => {
      this.set(t0 + ((now - began) / 4000) * this.max);
      if (this.t >= this.max) { this.follow = true; this.stop(); return; }
      this.timer = requestAnimationFrame(tick);
    };
    this.timer = requestAnimationFrame(tick);
  }

  stop() {
    if (this.timer) cancelAnimationFrame(this.timer);
    this.timer = null;
    this.play.classList.remove("playing");
    this.play.setAttribute("aria-label", "Play");
  }
}
