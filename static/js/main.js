// main.js — boot: read the page config, load the catalogues, build the store from the URL hash,
// mount views (one ES module per view, loaded on first use) and wire the header actions.
//
// Adding a view: add (key, title) to VIEWS in app/api/routes/pages.py, a partial templates/views/<key>.html
// and a module static/js/views/<key>.js exporting mount(section, ctx) → {show?, exportAs?(kind)}.
// ctx = {store, catalog: {surfaces, optimizers, schedules}, limits, ui: {error, clearError, toast}, hooks}.
// The store is shared (surface, optimizers, ... carry over between views); a view keeps
// hooks.busy / hooks.version / hooks.lastRun current and calls hooks.markReady() after its first render.

import { getJSON } from "./api.js";
import { $, $$ } from "./dom.js";
import { applyLimits, createStore, decodeState, defaultState } from "./state.js";
import { withCustom } from "./controls/formula.js";
import { LessonsMenu, openLesson } from "./teach/lessons.js";
import { loadPlotly } from "./plotly-loader.js";
import { LIMITS } from "./limits.js";

const config = JSON.parse(document.body.dataset.config || "{}");
// one ES module per view, named by the server's view list (app/api/routes/pages.py VIEWS)
const LOADERS = Object.fromEntries((config.views || [{ key: "paths" }])
  .map((v) => [v.key, () => import(`./views/${v.key}.js`)]));
// views that mount (controls on screen) before Plotly has loaded: their renderer waits for plotlyReady
const MOUNT_BEFORE_PLOTLY = new Set(["paths"]);

// ---- test / debugging hooks: window.__losslab ----------------------------------------------------
let markReady;
const hooks = {
  ready: new Promise((resolve) => { markReady = resolve; }),
  isReady: false, busy: true, version: 0, lastRun: null, errors: [],
  // paths drawn: count of frames that drew new paths, performance.now() after the last, its run (the /api/run
  // body as JSON; wantRun is the body the controls ask for), on the live canvas or by Plotly, ms spent drawing
  drawn: { count: 0, at: 0, runKey: null, done: false, live: false, surfaceKey: null, ms: 0 },
  markReady() { if (!hooks.isReady) { hooks.isReady = true; markReady(true); } },
};
window.__losslab = hooks;

// ---- banner and toast ------------------------------------------------------------------------------
const banner = $("#banner");
const ui = {
  /** Show a readable message; `kind` "api" messages are cleared by the next successful run. */
  error(err, kind = "app") {
    const msg = err?.message || String(err);
    hooks.errors.push(msg);
    $(".banner-text", banner).textContent = msg;
    banner.dataset.kind = kind;
    banner.hidden = false;
  },
  clearError(kind) { if (!kind || banner.dataset.kind === kind) banner.hidden = true; },
  toast(msg) {
    const t = $("#toast");
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(ui.toastTimer);
    ui.toastTimer = setTimeout(() => { t.hidden = true; }, 2200);
  },
};
$(".banner-close", banner).addEventListener("click", () => ui.clearError());

// ---- header: skip links and the banner's offset ----------------------------------------------------
// "Skip to plot" focuses the shown view's figure (the Paths plot then answers the arrow keys), "Skip to the
// controls" the view itself; neither touches the hash (it holds the scene).
for (const link of $$(".skip-link")) {
  link.addEventListener("click", (ev) => {
    const view = $("[data-view]:not([hidden])") || $("#main");
    const target = link.dataset.skip === "plot"
      ? [...view.querySelectorAll("#plots[tabindex], .plot, [role=figure]")].find((e) => e.getClientRects().length) : $("#main");
    if (!target) return;
    ev.preventDefault();
    if (!target.hasAttribute("tabindex")) target.tabIndex = -1;
    target.focus();
  });
}
// heights the layout needs but CSS cannot know: the header's (it wraps when it must: large fonts, narrow
// windows; the sticky banner sits under it) and the lesson card's (presentation mode fits plot and step panel
// under it in one screen, static/css/display.css)
const measured = [[".topbar", "--head-bottom"], ["#lesson-card", "--lesson-h"]];
if (window.ResizeObserver) {
  for (const [sel, prop] of measured) {
    const el = $(sel);
    if (el) new ResizeObserver(() => document.documentElement.style.setProperty(prop, `${el.offsetHeight}px`)).observe(el);
  }
}
window.addEventListener("unhandledrejection", (ev) => { if (ev.reason?.name !== "AbortError") ui.error(ev.reason); });

/** Drop what the catalogues do not know (a hand-edited or outdated link) instead of failing. */
function sanitize(state, catalog, base) {
  const surfaces = new Map(catalog.surfaces.map((s) => [s.name, s]));
  const optimizers = new Set(catalog.optimizers.map((o) => o.name));
  const notes = [];
  if (!surfaces.has(state.surface)) { notes.push(`unknown surface “${state.surface}”`); Object.assign(state, { surface: base.surface, sp: base.sp, start: base.start }); }
  const known = new Set(surfaces.get(state.surface).params.map((p) => p.name));
  for (const k of Object.keys(state.sp)) if (!known.has(k)) delete state.sp[k];
  const before = state.opt.length;
  state.opt = state.opt.filter((o) => optimizers.has(o.name)).slice(0, LIMITS.max_optimizers);
  if (state.opt.length < before) notes.push("unknown optimizers were dropped");
  if (!state.opt.length) state.opt = structuredClone(base.opt);
  if (!catalog.schedules.some((s) => s.name === state.schedule.name)) state.schedule = { name: "constant" };
  if (!LOADERS[state.view]) state.view = "paths";
  return { state, notes };
}

async function boot() {
  let catalog;
  try {
    const [s, o] = await Promise.all([getJSON("/api/surfaces"), getJSON("/api/optimizers")]);
    catalog = withCustom({ surfaces: s.surfaces, optimizers: o.optimizers, schedules: o.schedules }); // + "Custom formula"
  } catch (err) {
    ui.error(`Could not load the catalogues from the API: ${err.message}`);
    return;
  }
  applyLimits(config.limits); // the server's limits bound what a link may ask for
  const base = defaultState(config.default_scene);
  const load = () => sanitize(decodeState(location.hash, base), catalog, base);
  // a lesson link (#lesson=<slug>) is fetched and applied, then shown again in the address bar (teach/lessons.js)
  const tidy = (state) => sanitize(state, catalog, base);
  let first = load();
  try {
    first = (await openLesson(location.hash, first.state, tidy)) || first;
  } catch (err) {
    ui.error(`Could not open this lesson: ${err.message}`);
  }
  const store = createStore(first.state);
  if (first.hash) history.replaceState(null, "", first.hash);
  if (first.notes.length) ui.error(`This link mentions ${first.notes.join("; ")}; showing the rest.`);
  window.addEventListener("hashchange", () => {
    const lesson = openLesson(location.hash, store.get(), tidy);
    if (!lesson) { store.replace(load().state, "hash"); return; }
    lesson.then((l) => { store.replace(l.state, "lesson"); history.replaceState(null, "", l.hash); })
      .catch((err) => ui.error(`Could not open this lesson: ${err.message}`));
  });
  hooks.store = store;
  Object.defineProperty(hooks, "state", { get: () => store.get() });

  const ctx = { store, catalog, limits: config.limits, ui, hooks };
  const mounted = {};
  let current = null;
  async function show(key) {
    if (key === current) return;
    current = key;
    for (const tab of $$("[data-view-tab]")) {
      if (tab.dataset.viewTab === key) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    }
    const module = mounted[key] ? null : await LOADERS[key]();
    if (module && !MOUNT_BEFORE_PLOTLY.has(key)) await loadPlotly();
    if (current !== key) return; // another tab was chosen meanwhile
    // shown and mounted in one task: the first paint of a view has its controls (nothing appears, then shifts)
    for (const sec of $$("[data-view]")) sec.hidden = sec.dataset.view !== key;
    if (module) mounted[key] = module.mount($(`[data-view="${key}"]`), ctx);
    mounted[key].show?.();
  }
  for (const tab of $$("[data-view-tab]")) {
    tab.addEventListener("click", (ev) => { ev.preventDefault(); store.update((d) => { d.view = tab.dataset.viewTab; }); });
  }
  store.subscribe((s) => { if (s.view !== current && LOADERS[s.view]) show(s.view); });

  const act = (name, fn) => $(`[data-action="${name}"]`)?.addEventListener("click", fn);
  if ($("#lessons-menu")) new LessonsMenu({ button: $('[data-action="lessons"]'), menu: $("#lessons-menu"), onError: (m) => ui.error(m) });
  act("copy-link", () => copyLink());
  for (const kind of ["png", "json", "csv"]) act(`export-${kind}`, () => mounted[current]?.exportAs?.(kind));

  try {
    await show(store.get().view);
  } catch (err) {
    ui.error(err);
  }
  // Plotly after the first view's first paint (plotly-loader.js says why)
  requestAnimationFrame(() => setTimeout(() => loadPlotly().catch((err) => ui.error(err)), 0));
}

async function copyLink() {
  const url = location.href;
  try {
    await navigator.clipboard.writeText(url);
    ui.toast("Link copied — it reproduces this scene.");
  } catch {
    const input = document.createElement("input");
    input.value = url;
    document.body.append(input);
    input.select();
    const ok = document.execCommand && document.execCommand("copy");
    input.remove();
    ui.toast(ok ? "Link copied — it reproduces this scene." : "Copy the address bar: it holds the whole scene.");
  }
}

boot();
