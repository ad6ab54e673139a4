// views/networks-config.js — the Networks view's settings: defaults, the effective config read from the
// store (its URL-hash rows ndata, nmodel, nopt, … are null until the user changes them) and the
// /api/network/train body built from it. Pure functions (the server's limits are read once, limits.js).

import { LIMITS } from "../limits.js";

export const DEFAULTS = {
  data: { name: "moons", n: 200, seed: 0 }, // generator params missing here take the catalogue's defaults
  model: { name: "tanh", hidden: "8x8", loss: "auto", init: "he", sigma: 0.1, seed: 0 },
  // network-scale learning rates (the Paths list is tuned for a κ = 50 quadratic); c = palette index,
  // the same colour each optimizer has in the Paths view
  opt: [{ name: "gd", lr: 0.5, c: 0 }, { name: "momentum", lr: 0.05, momentum: 0.9, c: 1 }, { name: "adam", lr: 0.01, c: 3 }],
  steps: 300,
  batch: 0,
  sched: { name: "constant" },
  sharp: 10,
  plane: { name: "pca", n: 31, span: 0, at: 0, seed: 0 },
  plot: "2d",
};

export const PLANE_METHODS = [
  { name: "random", label: "Random", title: "Filter-normalized random directions (Li et al. 2018)" },
  { name: "hessian", label: "Hessian top-2", title: "The top two Hessian eigenvectors at the centre (Lanczos on exact HVPs)" },
  { name: "pca", label: "PCA of paths", title: "The top two principal directions of every recorded weight vector" },
];
export const DECISION = { n: 41, snapshots: 12 };
// the server's bounds (LOSSLAB_MAX_DEPTH, _HIDDEN_WIDTH, _PLANE_N): a link asking for more is clamped
const MAX_LAYERS = LIMITS.max_depth;
const MAX_WIDTH = LIMITS.max_hidden_width;

/** "8x8", 16, "16, 16", "" or "linear" → [8, 8] / [16] / [16, 16] / [] (bad parts dropped, clamped). */
export function parseHidden(text) {
  if (Array.isArray(text)) return text.map(Number).filter((w) => Number.isFinite(w) && w >= 1).map(clampWidth).slice(0, MAX_LAYERS);
  const s = String(text ?? "").trim().toLowerCase();
  if (!s || s === "linear" || s === "0") return [];
  return s.split(/[\sx×,;/]+/).filter(Boolean).map(Number)
    .filter((w) => Number.isFinite(w) && w >= 1).map(clampWidth).slice(0, MAX_LAYERS);
}
const clampWidth = (w) => Math.min(MAX_WIDTH, Math.round(w));

/** [8, 8] → "8x8" (the URL form); [] → "0" (linear). */
export const hiddenText = (hidden) => (hidden.length ? hidden.join("x") : "0");
/** [8, 8] → "2 → 8 → 8 → 1". */
export const architecture = (hidden) => ["2", ...hidden, "1"].join(" → ");

/**
 * The effective config: state rows over DEFAULTS, names checked against the catalogues (`net` = GET
 * /api/network/datasets, `optimizers` = the names a network may use). Unknown names fall back to the
 * defaults so a hand-edited link still trains.
 */
export function effective(state, net, optimizers) {
  const datasets = new Map((net?.datasets || []).map((d) => [d.name, d]));
  let data = { ...DEFAULTS.data, ...(state.ndata || {}) };
  if (datasets.size && !datasets.has(data.name)) data = { ...DEFAULTS.data };
  const info = datasets.get(data.name);
  const m = { ...DEFAULTS.model, ...(state.nmodel || {}) };
  const pick = (v, list, fallback) => (!list || list.includes(v) ? v : fallback);
  const model = {
    activation: pick(m.name, net?.activations, DEFAULTS.model.name),
    hidden: parseHidden(m.hidden),
    loss: m.loss === "auto" || !net?.losses?.includes(m.loss) ? "auto" : m.loss,
    init: pick(m.init, net?.inits, DEFAULTS.model.init),
    sigma: positive(m.sigma, DEFAULTS.model.sigma),
    seed: nonNegInt(m.seed, 0),
  };
  const known = new Set(optimizers || []);
  let opt = (state.nopt || DEFAULTS.opt).filter((o) => !optimizers || known.has(o.name));
  if (!opt.length) opt = structuredClone(DEFAULTS.opt);
  const p = { ...DEFAULTS.plane, ...(state.nplane || {}) };
  const plane = {
    method: PLANE_METHODS.some((x) => x.name === p.name) ? p.name : DEFAULTS.plane.name,
    n: Math.min(LIMITS.max_plane_n, Math.max(2, nonNegInt(p.n, DEFAULTS.plane.n))),
    span: positive(p.span, 0),
    at: Math.min(opt.length - 1, Math.max(-1, Math.round(Number(p.at) || 0))),
    seed: nonNegInt(p.seed, 0),
  };
  return {
    data: { name: data.name, n: nonNegInt(data.n, 200), seed: nonNegInt(data.seed, 0), params: dataParams(data, info) },
    info, task: info?.task || "classification", model, opt,
    steps: state.nsteps ?? DEFAULTS.steps, batch: state.nbatch ?? DEFAULTS.batch,
    sched: state.nsched || DEFAULTS.sched, sharp: state.nsharp ?? DEFAULTS.sharp,
    plane, plot: state.nplot || DEFAULTS.plot,
  };
}

const positive = (v, fallback) => (Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : fallback);
const nonNegInt = (v, fallback) => (Number.isFinite(Number(v)) && Number(v) >= 0 ? Math.round(Number(v)) : fallback);

/** Generator params of the dataset (everything but name, n, seed), only those the catalogue lists. */
function dataParams(data, info) {
  const out = {};
  const allowed = info ? new Set(info.params.map((p) => p.name)) : null;
  for (const [k, v] of Object.entries(data)) {
    if (["name", "n", "seed"].includes(k) || !Number.isFinite(Number(v))) continue;
    if (!allowed || allowed.has(k)) out[k] = Number(v);
  }
  return out;
}

/** The POST /api/network/train(/stream) body for a config. */
export function requestBody(cfg) {
  const model = { hidden: cfg.model.hidden, activation: cfg.model.activation, init: cfg.model.init, seed: cfg.model.seed };
  if (cfg.model.loss !== "auto") model.loss = cfg.model.loss;
  if (cfg.model.init === "normal") model.sigma = cfg.model.sigma;
  const plane = { method: cfg.plane.method, n: cfg.plane.n, seed: cfg.plane.seed };
  if (cfg.plane.span > 0) plane.span = cfg.plane.span;
  if (cfg.plane.at < 0) plane.center = "init"; else plane.run = cfg.plane.at;
  return {
    dataset: { name: cfg.data.name, n: cfg.data.n, seed: cfg.data.seed, params: cfg.data.params },
    model,
    optimizers: cfg.opt.map(({ c, ...spec }) => spec),
    steps: cfg.steps,
    batch_size: cfg.batch > 0 ? cfg.batch : null,
    schedule: cfg.sched,
    sharpness_every: cfg.sharp > 0 ? cfg.sharp : null,
    plane,
    decision: cfg.task === "classification" ? { ...DECISION } : null,
  };
}

/** A percentage for prose: 93 %, 7.4 %, 0.62 %. */
export function pct(share) {
  if (share === null || share === undefined || !Number.isFinite(share)) return "—";
  const v = share * 100;
  if (v >= 10 || v === 0) return `${Math.round(v)} %`;
  if (v >= 1) return `${v.toFixed(1)} %`;
  if (v < 0.01) return "< 0.01 %";
  return `${Number(v.toPrecision(2))} %`;
}
