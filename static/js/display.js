// display.js — how the page is shown, not what it shows: the colour theme and presentation mode.
//
// A classic script loaded (blocking, tiny) in <head>, so the theme is on <html> before the first paint:
//   data-theme = "dark" | "light": the user's choice (localStorage "losslab-theme", or ?theme=dark|light),
//                 else the system's prefers-color-scheme (followed live while the user has not chosen);
//   data-present = "1" with ?present=1: type and strokes for a projector (static/css/display.css).
// Plotly figures are themed here too, without touching the plotting code: Plotly's drawing calls are
// wrapped once so that every figure's colours go through one light ↔ dark table (the plots keep
// writing their light colours), and, in presentation mode, fonts become ≥ 16 px and paths ≥ 3 px.
// Optimizer colours come from optimizer-style.js, which reads data-theme itself.
(function () {
  "use strict";
  const root = document.documentElement;
  const KEY = "losslab-theme";
  const saved = () => { try { return localStorage.getItem(KEY); } catch (e) { return null; } };
  const save = (v) => { try { if (v) localStorage.setItem(KEY, v); else localStorage.removeItem(KEY); } catch (e) { /* private mode */ } };
  const media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  const query = new URLSearchParams(location.search);
  const asked = query.get("theme"); // ?theme=dark|light: this page load only (screenshots, links for a class)
  const chosen = () => { const t = saved(); return t === "dark" || t === "light" ? t : null; };
  root.dataset.theme = (asked === "dark" || asked === "light" ? asked : null) || chosen() || (media && media.matches ? "dark" : "light");
  if (query.get("present") === "1") root.dataset.present = "1";

  // ---- the light ↔ dark colour table of the figures (light values are what plots/*.js write) --------
  const PAIRS = [
    ["#1d2433", "#e8eaf0"], ["#6b7385", "#9aa2b4"], ["#e6e8ee", "#2c333f"], ["#c9ced8", "#4a5262"],
    ["#ffffff", "#1b2029"], ["#fafafa", "#20262f"], ["#e3e1da", "#3e4655"],
    // contour fill (plots/common.js SURFACE_SCALE): valleys stay the darker end in both themes
    ["#9fb6cf", "#0e1726"], ["#b7c9dc", "#142036"], ["#cfdbe7", "#1b2940"], ["#e2e8ee", "#243249"],
    ["#eeefec", "#2d3a50"], ["#f5f2ea", "#344055"], ["#faf7f0", "#3b4558"],
    // optimizer colours (optimizer-style.js), so a live theme switch recolours drawn paths at once
    ["#0a5a9c", "#5cb3ff"], ["#a33a00", "#ff9a5c"], ["#006646", "#3ddc97"], ["#a3246e", "#ff8fd0"],
    ["#6a3d9a", "#c39bff"], ["#6e5200", "#f0c93a"], ["#005f6f", "#4fd6e8"], ["#7d4a1c", "#e0a872"],
    ["#3d3d3d", "#e6e6e6"], ["#b2182b", "#ff7b86"], ["#8a305a", "#f2a2ca"], ["#8c2f2f", "#ff8f8f"],
    ["#4a3aa0", "#aa9cff"], ["#2f5f1f", "#9fe07f"], ["#1f4f70", "#8ccaf2"], ["#5c4c00", "#e2d272"],
    ["#99004d", "#ff7ab8"], ["#00505a", "#7fe0e0"], ["#553377", "#d0b0ff"],
    ["#7b3294", "#c58fe0"], // teach/arrows.js: the momentum arrow
    // Networks decision shading (views/networks-plots.js HEAT), its paper and class-0 ink: dim in the dark
    ["#c6d5e6", "#1f3450"], ["#f8f7f3", "#1c222b"], ["#f2d6b8", "#4d3521"], ["#faf9f6", "#1e232b"],
    ["#38405a", "#cfd5e2"],
  ];
  const toDark = new Map(); const toLight = new Map();
  const rgbKey = (r, g, b) => `${r},${g},${b}`;
  const hexRgb = (h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16));
  for (const [l, d] of PAIRS) {
    toDark.set(rgbKey(...hexRgb(l)), hexRgb(d));
    toLight.set(rgbKey(...hexRgb(d)), hexRgb(l));
  }
  const COLOR = /^(#([0-9a-f]{3}|[0-9a-f]{6})|rgba?\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*(,\s*[\d.]+\s*)?\))$/i;
  const hex = (rgb) => "#" + rgb.map((v) => v.toString(16).padStart(2, "0")).join("");

  function mapColor(text, table) {
    if (typeof text !== "string" || text.length > 40 || !COLOR.test(text.trim())) return text;
    const t = text.trim().toLowerCase();
    let rgb; let alpha = null;
    if (t[0] === "#") {
      const full = t.length === 4 ? "#" + [...t.slice(1)].map((c) => c + c).join("") : t;
      rgb = hexRgb(full);
    } else {
      const nums = t.slice(t.indexOf("(") + 1, -1).split(",").map((v) => v.trim());
      rgb = nums.slice(0, 3).map(Number);
      if (nums.length === 4) alpha = nums[3];
    }
    const out = table.get(rgbKey(...rgb));
    if (!out) return text;
    return alpha === null ? (t[0] === "#" ? hex(out) : `rgb(${out.join(", ")})`) : `rgba(${out.join(", ")}, ${alpha})`;
  }

  const present = () => root.dataset.present === "1";
  const MIN_FONT = 16;
  const MIN_PATH = 3;
  const grown = new WeakSet();

  /** Recolour (and, presenting, enlarge) a figure fragment in place: objects and string arrays only. */
  function walk(node, table, key) {
    if (Array.isArray(node)) {
      if (!node.length) return node;
      const first = node[0];
      if (typeof first === "number" && node.length === 2 && typeof node[1] === "string") { // [0.3, "#cfdbe7"]
        node[1] = mapColor(node[1], table);
        return node;
      }
      if (typeof first === "number" || first === null) return node; // data
      if (Array.isArray(first) && typeof first[1] !== "string") return node; // a matrix (not a colour scale)
      for (let i = 0; i < node.length; i++) {
        node[i] = typeof node[i] === "string" ? mapColor(node[i], table) : walk(node[i], table, key);
      }
      return node;
    }
    if (!node || typeof node !== "object") return node;
    for (const k of Object.keys(node)) {
      const v = node[k];
      if (typeof v === "string") node[k] = mapColor(v, table);
      else if (v && typeof v === "object" && !(v instanceof HTMLElement)) walk(v, table, k);
    }
    if (present() && key && /font$/i.test(key)) node.size = Math.max(MIN_FONT, node.size || 0); // idempotent
    return node;
  }

  function enlargeTrace(tr) {
    if (!present() || !tr || typeof tr !== "object") return;
    const lines = (tr.type === "scatter" || tr.type === "scattergl" || tr.type === "scatter3d" || !tr.type)
      && (tr.mode === undefined || String(tr.mode).includes("lines"));
    // every rule here is idempotent: plots may hand the same objects back to Plotly again
    if (lines && tr.line && typeof tr.line.width === "number" && tr.line.width >= 1.2) {
      tr.line.width = Math.max(MIN_PATH, tr.line.width);
    }
    if (tr.colorbar) tr.colorbar.tickfont = { ...(tr.colorbar.tickfont || {}), size: Math.max(MIN_FONT, (tr.colorbar.tickfont || {}).size || 0) };
  }

  function themeFigure(data, layout) {
    const table = root.dataset.theme === "dark" ? toDark : toLight;
    if (Array.isArray(data)) for (const tr of data) { walk(tr, table); enlargeTrace(tr); }
    if (layout && typeof layout === "object") {
      walk(layout, table);
      if (present()) {
        layout.font = { ...(layout.font || {}), size: Math.max(MIN_FONT, (layout.font && layout.font.size) || 0) };
        const m = layout.margin;
        if (m && !grown.has(m)) { // room for the larger tick labels, once per margin object
          grown.add(m);
          for (const side of ["l", "b"]) if (typeof m[side] === "number") m[side] = Math.round(m[side] * 1.35);
        }
      }
    }
  }

  function wrapPlotly(P) {
    if (!P || P.__losslabThemed) return;
    P.__losslabThemed = true;
    const wrap = (name, fn) => { const orig = P[name]; if (typeof orig === "function") P[name] = function (...a) { fn(a); return orig.apply(this, a); }; };
    const fig = (a) => {
      if (a[1] && typeof a[1] === "object" && !Array.isArray(a[1]) && Array.isArray(a[1].data)) themeFigure(a[1].data, a[1].layout);
      else themeFigure(a[1], a[2]);
    };
    wrap("newPlot", fig);
    wrap("react", fig);
    wrap("addTraces", (a) => themeFigure(Array.isArray(a[1]) ? a[1] : [a[1]], null));
    const table = () => (root.dataset.theme === "dark" ? toDark : toLight);
    wrap("restyle", (a) => { if (a[1] && typeof a[1] === "object") walk(a[1], table()); });
    wrap("relayout", (a) => { if (a[1] && typeof a[1] === "object") walk(a[1], table()); });
    wrap("update", (a) => { if (a[1]) walk(a[1], table()); if (a[2]) walk(a[2], table()); });
  }

  /** Redraw every figure on the page in the current theme (their colours map both ways). */
  function redraw() {
    const P = window.Plotly;
    for (const gd of P ? document.querySelectorAll(".js-plotly-plot") : []) {
      if (gd.data && gd.layout && gd.offsetParent !== null) P.react(gd, gd.data, gd.layout);
    }
    const hooks = window.__losslab;
    if (hooks && hooks.store) hooks.store.update(() => {}, "display"); // DOM colours (cards, swatches, legend)
  }

  function setTheme(theme, remember) {
    if (remember) save(theme);
    if (root.dataset.theme === theme) return;
    root.dataset.theme = theme;
    syncButtons();
    redraw();
    window.dispatchEvent(new CustomEvent("losslab:theme", { detail: { theme } }));
  }

  function syncButtons() {
    const t = document.querySelector("[data-action='theme']");
    if (t) {
      t.setAttribute("aria-pressed", String(root.dataset.theme === "dark"));
      t.title = root.dataset.theme === "dark" ? "Switch to the light theme" : "Switch to the dark theme";
    }
    const p = document.querySelector("[data-action='present']");
    if (p) p.setAttribute("aria-pressed", String(present()));
  }

  if (media && media.addEventListener) media.addEventListener("change", (ev) => { if (!chosen()) setTheme(ev.matches ? "dark" : "light", false); });

  function ready() {
    wrapPlotly(window.Plotly);
    const t = document.querySelector("[data-action='theme']");
    if (t) t.addEventListener("click", () => setTheme(root.dataset.theme === "dark" ? "light" : "dark", true));
    const p = document.querySelector("[data-action='present']");
    if (p) {
      p.addEventListener("click", () => {
        const q = new URLSearchParams(location.search);
        if (present()) q.delete("present"); else q.set("present", "1");
        const search = q.toString();
        location.assign(location.pathname + (search ? "?" + search : "") + location.hash); // layout and figures rebuilt
      });
    }
    syncButtons();
  }
  // Plotly loads after the first paint (plotly-loader.js), which calls wrapPlotly before anything is drawn
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  window.__losslabDisplay = { setTheme, themeFigure, wrapPlotly,
    mapColor: (c) => mapColor(c, root.dataset.theme === "dark" ? toDark : toLight) };
}());
