// plotly-loader.js — Plotly (the 4.8 MB plotly.min.js of the installed `plotly` package, /vendor/plotly.min.js)
// is loaded after the page's first paint instead of from <head>. Evaluating it takes the main thread for a
// few hundred ms in one task (measured: most of the first load's blocking time); in <head> it also held
// back main.js, the catalogues and so the controls until it had arrived. Now the controls paint first and
// Plotly follows: main.js calls loadPlotly() once the first view is on screen (or before mounting a view
// that draws with Plotly as it mounts); the Paths renderer waits for plotlyReady before its first draw.

let resolveReady;
let rejectReady;
/** Resolves with window.Plotly (themed by display.js) once it has loaded; never starts the download. */
export const plotlyReady = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
let started = false;

function loaded() {
  window.__losslabDisplay?.wrapPlotly(window.Plotly); // colours and presentation sizes of every figure
  resolveReady(window.Plotly);
}

/** Start loading Plotly (once); resolves like plotlyReady. */
export function loadPlotly() {
  if (started) return plotlyReady;
  started = true;
  if (window.Plotly) { loaded(); return plotlyReady; }
  const script = document.createElement("script");
  script.src = document.body.dataset.plotlySrc || "/vendor/plotly.min.js";
  script.async = true;
  script.onload = loaded;
  script.onerror = () => rejectReady(new Error("Plotly did not load (/vendor/plotly.min.js)"));
  document.head.append(script);
  return plotlyReady;
}
