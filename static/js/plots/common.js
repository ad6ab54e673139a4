// plots/common.js — palette, fonts, Plotly config and the log-level transform shared by every chart.

// Okabe–Ito (colourblind-safe) first, then Paul Tol's muted scheme for optimizers 8–12.
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255",
  "#44AA99", "#999933", "#332288", "#AA4499", "#5A5A5A"];
export const INK = "#1d2433";
export const MUTED = "#6b7385";
export const GRID = "#e6e8ee";
export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const FONT = { family: FONT_FAMILY, size: 12, color: INK };

// a quiet sequential fill: deep valleys slate-blue, high ground warm paper, so coloured paths stand out
export const SURFACE_SCALE = [
  [0, "#9fb6cf"], [0.12, "#b7c9dc"], [0.3, "#cfdbe7"], [0.5, "#e2e8ee"], [0.7, "#eeefec"], [0.85, "#f5f2ea"], [1, "#faf7f0"],
];

export const CONFIG = {
  displaylogo: false,
  responsive: true,
  scrollZoom: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "hoverClosestCartesian",
    "hoverCompareCartesian", "toImage"],
};

/** A colour in the page's theme (display.js's light ↔ dark table), for what is drawn outside Plotly's figures. */
export const themeColor = (c) => window.__losslabDisplay?.mapColor?.(c) ?? c;

export function hexToRgba(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Contour levels evenly spaced in log10(f − zmin + δ) look right for valleys (a linear scale spends
 * every level on the walls). `fwd` maps f to the plotted value; `ticks` labels the colour bar in f.
 */
export function levelTransform(zmin, zmax, log, depth = 4) {
  const range = Math.max(zmax - zmin, 1e-12);
  if (!log) {
    return { fwd: (f) => (f === null || !Number.isFinite(f) ? null : f), ticks: () => ({}), delta: 0, lo: zmin, hi: zmax, title: "f" };
  }
  const delta = range * 10 ** -depth; // how many decades below the range the levels reach
  const fwd = (f) => (f === null || !Number.isFinite(f) ? null : Math.log10(Math.max(f - zmin, 0) + delta));
  // label the colour bar in f when the floor is ~0, else in f − zmin (e.g. "f + 4.5" for a saddle)
  const offset = Math.abs(zmin) > 1e-3 * range;
  const title = offset ? `f ${zmin < 0 ? "+" : "−"} ${shortNum(Math.abs(zmin))}` : "f";
  const ticks = () => {
    const tickvals = []; const ticktext = [];
    const k0 = Math.ceil(Math.log10(delta)); const k1 = Math.floor(Math.log10(range));
    const stride = Math.max(1, Math.ceil((k1 - k0 + 1) / 6));
    for (let k = k1; k >= k0; k -= stride) {
      tickvals.push(Math.log10(10 ** k + delta));
      ticktext.push(shortNum(offset ? 10 ** k : zmin + 10 ** k));
    }
    tickvals.push(Math.log10(delta)); ticktext.push(offset ? "0" : shortNum(zmin));
    return { tickmode: "array", tickvals, ticktext };
  };
  return { fwd, ticks, delta, lo: Math.log10(delta), hi: Math.log10(range + delta), title };
}

/** Short tick text: 1000 → "1k", 0.001 → "1e-3". */
export function shortNum(v) {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e4 || a < 1e-2) return v.toExponential(0).replace("e+", "e").replace("-", "−");
  return String(Number(v.toPrecision(3))).replace("-", "−");
}

/**
 * Layout pieces every small chart shares. `margin`: the margins before the axes' automargin widens them to fit
 * the tick labels (a widening redraws the chart once more: margins that usually fit save that second pass).
 */
export function chartLayout({ ytype = "linear", ytitle = "", xmax = 1, revision = "0", shapes = [], margin = null } = {}) {
  return {
    font: { ...FONT, size: 11 },
    margin: margin || { l: 46, r: 10, t: 6, b: 28 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    showlegend: false,
    hovermode: "x unified",
    hoverlabel: { font: { family: FONT_FAMILY, size: 11 } },
    uirevision: revision,
    xaxis: { range: [0, Math.max(1, xmax)], gridcolor: GRID, zeroline: false, ticks: "outside", ticklen: 3,
      tickcolor: GRID, linecolor: "#c9ced8", showline: true, title: { text: "" }, automargin: true },
    yaxis: { type: ytype, gridcolor: GRID, zeroline: false, exponentformat: "power", ticks: "outside", nticks: 4,
      ticklen: 3, tickcolor: GRID, linecolor: "#c9ced8", showline: true, title: { text: ytitle, standoff: 4 },
      automargin: true },
    shapes,
  };
}

/** A vertical hairline at step t (the shared time marker). */
export const timeShape = (t) => ({
  type: "line", xref: "x", yref: "paper", x0: t, x1: t, y0: 0, y1: 1,
  line: { color: "rgba(29,36,51,0.45)", width: 1, dash: "dot" },
});

export function plotly() {
  if (!window.Plotly) throw new Error("Plotly did not load (/vendor/plotly.min.js)");
  return window.Plotly;
}

/** Index of the trace with this uid in a rendered plot (or −1). */
export const traceIndex = (gd, uid) => (gd.data || []).findIndex((t) => t.uid === uid);
