// teach/card.js — the lesson card above the Paths view: number, title, question, "what to notice",
// buttons for the lesson's scenes, previous/next lesson, collapse and close. Shown while state.card names
// a lesson; the scene buttons follow lesson links (#lesson=<slug>&scene=<k>), so each scene is shareable.

import { h } from "../dom.js";
import { allLessons, lessonBySlug, lessonHash } from "./lessons.js";

export class LessonCard {
  constructor(root, store) {
    Object.assign(this, { store, el: root.querySelector("#lesson-card") });
    this.optList = root.querySelector("#optimizer-list");
    this.collapsed = false;
    this.noticeOpen = false;
    this.shownKey = null;
    this.lessons = [];
  }

  /** Called on every state change of the Paths view. */
  render(s) {
    const slug = s.card || null;
    const scene = s.cardscene || 0;
    if (!slug) {
      this.el.hidden = true;
      this.shownKey = null;
      delete this.optList.dataset.lessonEta;
      return;
    }
    const key = `${slug}|${scene}`;
    if (key === this.shownKey) return;
    this.shownKey = key;
    Promise.all([lessonBySlug(slug), allLessons().catch(() => [])]).then(([lesson, all]) => {
      if (this.shownKey !== key) return;
      this.lessons = all;
      this.draw(lesson, scene);
    }).catch(() => { this.el.hidden = true; });
  }

  draw(lesson, scene) {
    const i = this.lessons.findIndex((l) => l.slug === lesson.slug);
    const prev = i > 0 ? this.lessons[i - 1] : null;
    const next = i >= 0 && i < this.lessons.length - 1 ? this.lessons[i + 1] : null;
    // "what to notice" starts folded: ask the question, let the class look, then reveal (the state is kept)
    const notice = h("details", { class: "lesson-notice", "data-testid": "lesson-notice", open: this.noticeOpen },
      h("summary", { class: "lesson-tag" }, "What to notice"), h("p", {}, lesson.notice));
    notice.addEventListener("toggle", () => { this.noticeOpen = notice.open; });
    const body = h("div", { class: "lesson-body", id: "lesson-body" },
      h("p", { class: "lesson-question", "data-testid": "lesson-question" }, h("span", { class: "lesson-tag" }, "Question"), lesson.question),
      notice);
    body.hidden = this.collapsed;
    const toggle = h("button", { type: "button", class: "btn ghost small lesson-toggle", "aria-expanded": String(!this.collapsed),
      "aria-controls": "lesson-body", "data-testid": "lesson-collapse" }, this.collapsed ? "Show ▾" : "Hide ▴");
    toggle.addEventListener("click", () => {
      this.collapsed = !this.collapsed;
      body.hidden = this.collapsed;
      toggle.setAttribute("aria-expanded", String(!this.collapsed));
      toggle.textContent = this.collapsed ? "Show ▾" : "Hide ▴";
    });
    const scenes = lesson.scenes.length > 1
      ? h("div", { class: "lesson-scenes", role: "group", "aria-label": "Scenes of this lesson" },
        ...lesson.scenes.map((sc, k) => h("a", { class: "scene-btn", href: lessonHash(lesson.slug, k), "data-testid": "lesson-scene",
          "aria-current": k === scene ? "true" : null, title: `Load scene ${k + 1}: ${sc.caption}` },
        h("span", { class: "scene-num", "aria-hidden": "true" }, String(k + 1)), sc.caption)))
      : h("p", { class: "lesson-caption" }, lesson.scenes[0].caption);
    const nav = (l, text, rel) => (l ? h("a", { class: "btn ghost small", href: lessonHash(l.slug), rel,
      title: `${rel === "prev" ? "Previous" : "Next"} lesson: ${l.title}` }, text) : null);
    const close = h("button", { type: "button", class: "btn icon", "aria-label": "Close the lesson card", title: "Close the lesson card",
      "data-testid": "lesson-close" }, "×");
    close.addEventListener("click", () => this.store.update((d) => { d.card = null; d.cardscene = null; }));
    this.el.replaceChildren(
      h("div", { class: "lesson-head" },
        h("span", { class: "lesson-num" }, `Lesson ${lesson.number}${this.lessons.length ? ` of ${this.lessons.length}` : ""}`),
        h("h2", { class: "lesson-title", id: "lesson-title", "data-testid": "lesson-title" }, lesson.title),
        h("span", { class: "spacer" }),
        nav(prev, "‹ previous", "prev"), nav(next, "next ›", "next"), toggle, close),
      scenes, body);
    this.el.hidden = false;
    // the lesson's η slider hint: the card of that optimizer gets a ring (teach.css)
    const eta = lesson.view?.eta_slider_for;
    if (Number.isInteger(eta)) this.optList.dataset.lessonEta = String(eta); else delete this.optList.dataset.lessonEta;
  }
}
