// teach/lessons.js — guided lessons: the links (#lesson=<slug>[&scene=<k>]), turning a lesson's scene (a
// complete POST /api/run body, app/lessons.py) into the page's state, and the header's Lessons menu.
//
// A lesson link is applied once: the store takes the scene, then the address bar shows the lesson link again;
// the next change the user makes writes the ordinary state hash (which keeps `card=<slug>`, so the lesson
// card stays up and a copied link reproduces the modified scene with its card).

import { getJSON } from "../api.js";
import { $$, h } from "../dom.js";
import { clone } from "../state.js";

const EIG_EVERY = 25; // "show eigenvectors" → the Hessian axes at every 25th iterate (a stop of the select)

let listPromise = null;
const bySlug = new Map();

/** GET /api/lessons once per page. */
export function allLessons() {
  if (!listPromise) {
    listPromise = getJSON("/api/lessons").then((r) => {
      for (const l of r.lessons) bySlug.set(l.slug, l);
      return r.lessons;
    }).catch((err) => { listPromise = null; throw err; });
  }
  return listPromise;
}

/** GET /api/lessons/{slug} (cached; a 404 names the available slugs). */
export async function lessonBySlug(slug) {
  if (!bySlug.has(slug)) bySlug.set(slug, await getJSON(`/api/lessons/${encodeURIComponent(slug)}`));
  return bySlug.get(slug);
}

/** "#lesson=saddles&scene=2" → {slug: "saddles", scene: 1}; null for any other hash. Scenes count from 1 in links. */
export function lessonLink(hash) {
  const params = new URLSearchParams((hash || "").replace(/^#/, ""));
  const slug = params.get("lesson");
  if (!slug || !/^[\w-]+$/.test(slug)) return null;
  const k = Math.round(Number(params.get("scene") || 1));
  return { slug, scene: Number.isFinite(k) && k >= 1 ? k - 1 : 0 };
}

export const lessonHash = (slug, scene = 0) => `#lesson=${slug}${scene > 0 ? `&scene=${scene + 1}` : ""}`;

/**
 * The page state for scene `scene` of `lesson`, on top of `current` (keeps the plot mode and the other
 * views' settings): surface, start, steps, optimizers, schedule, noise from the /api/run body, plus the
 * lesson's view hints (eigen-axes, the stepped optimizer) and its card.
 */
export function lessonState(lesson, scene, current) {
  const k = Math.max(0, Math.min(scene, lesson.scenes.length - 1));
  const body = lesson.scenes[k].request;
  const s = clone(current);
  s.view = "paths";
  s.surface = body.surface.name;
  s.sp = { ...(body.surface.params || {}) };
  if (body.start) s.start = [...body.start];
  s.steps = body.steps;
  s.opt = body.optimizers.map((o) => ({ ...o }));
  s.schedule = { ...(body.schedule || { name: "constant" }) };
  s.sigma = body.noise?.sigma ?? 0;
  s.seed = body.noise?.seed ?? 0;
  const view = lesson.view || {};
  s.eig = view.show_eigenvectors ? EIG_EVERY : 0;
  s.step = Number.isInteger(view.step_through) && view.step_through < s.opt.length ? view.step_through : null;
  s.card = lesson.slug;
  s.cardscene = k > 0 ? k : null;
  return s;
}

/**
 * If `hash` is a lesson link: fetch the lesson and build its state → {state, notes, hash}; else null
 * (synchronously, so ordinary hashes stay synchronous). `tidy(state)` → {state, notes} (main.js's sanitize).
 */
export function openLesson(hash, current, tidy) {
  const link = lessonLink(hash);
  if (!link) return null;
  return lessonBySlug(link.slug).then((lesson) => {
    const { state, notes } = tidy(lessonState(lesson, link.scene, current));
    return { state, notes, hash: lessonHash(lesson.slug, Math.min(link.scene, lesson.scenes.length - 1)) };
  });
}

// ---- the header menu ------------------------------------------------------------------------------
/**
 * A menu button (WAI-ARIA menu pattern): Enter/Space/↓ open it on the first item, ↑ on the last; ↑/↓, Home/End
 * move; Enter follows the item (a #lesson= link); Escape closes it and returns the focus; Tab closes it.
 */
export class LessonsMenu {
  constructor({ button, menu, onError }) {
    Object.assign(this, { button, menu, onError });
    this.open = false;
    button.addEventListener("click", () => (this.open ? this.close() : this.show(0)));
    button.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") { ev.preventDefault(); this.show(ev.key === "ArrowUp" ? -1 : 0); }
    });
    menu.addEventListener("keydown", (ev) => this.onKey(ev));
    menu.addEventListener("click", (ev) => { if (ev.target.closest("[role=menuitem]")) this.close(false); });
    document.addEventListener("pointerdown", (ev) => {
      if (this.open && !menu.contains(ev.target) && !button.contains(ev.target)) this.close(false);
    });
  }

  items() { return $$("[role=menuitem]", this.menu); }

  async show(focusIndex) {
    let lessons;
    try {
      lessons = await allLessons();
    } catch (err) {
      this.onError?.(`Could not load the lessons: ${err.message}`);
      return;
    }
    if (!this.items().length) this.fill(lessons);
    this.open = true;
    this.menu.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    const items = this.items();
    const current = new URLSearchParams(location.hash.slice(1)).get("card") || new URLSearchParams(location.hash.slice(1)).get("lesson");
    items.forEach((it) => it.setAttribute("aria-current", String(it.dataset.slug === current)));
    this.focus((focusIndex + items.length) % items.length);
  }

  fill(lessons) {
    this.menu.replaceChildren(...lessons.map((l) => h("li", { role: "none" },
      h("a", { role: "menuitem", tabindex: "-1", href: lessonHash(l.slug), "data-slug": l.slug, "data-testid": "lesson-item" },
        h("span", { class: "lesson-item-num", "aria-hidden": "true" }, String(l.number)),
        h("span", { class: "lesson-item-text" }, h("span", { class: "lesson-item-title" }, l.title),
          h("span", { class: "lesson-item-q" }, l.question.split(/(?<=[?.])\s/)[0]))))));
  }

  focus(i) {
    const items = this.items();
    items.forEach((it, j) => { it.tabIndex = j === i ? 0 : -1; });
    items[i]?.focus();
  }

  onKey(ev) {
    const items = this.items();
    const i = items.indexOf(document.activeElement);
    const moves = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 };
    if (ev.key in moves) { ev.preventDefault(); this.focus((moves[ev.key] + items.length) % items.length); return; }
    if (ev.key === "Escape") { ev.preventDefault(); this.close(); return; }
    if (ev.key === "Tab") { this.close(false); return; }
    if (ev.key === " " && i >= 0) { ev.preventDefault(); items[i].click(); }
  }

  close(refocus = true) {
    if (!this.open) return;
    this.open = false;
    this.menu.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) this.button.focus();
  }
}
