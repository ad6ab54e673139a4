// state.js — one state table; the URL hash *is* the state (TF Playground style).
//
// Every row of PARAMS is a control. The hash reads like
//   #view=paths&surface=quadratic&s.kappa=50&s.theta=30&start=-4,2&steps=200
//    &opt=gd(lr=0.03);momentum(lr=0.01,momentum=0.9)&schedule=step(step_size=100,gamma=0.5)
//    &sigma=0&seed=0&plot=2d&eig=0&log=1
// so a copied link reproduces the scene; a reload rebuilds it from the hash alone.

export const PARAMS = [
  { key: "view", type: "enum", default: "paths" },
  { key: "surface", type: "name", default: "quadratic" },
  // surface params: rows "s.<name>", only for the current surface (see encode/decode)
  { key: "start", type: "point", default: [-4, 2] },
  { key: "steps", type: "int", default: 200, min: 1, limit: "max_steps" },
  { key: "opt", type: "specs", default: [] },
  { key: "schedule", type: "spec", default: { name: "constant" } },
  { key: "sigma", type: "number", default: 0, min: 0 },
  { key: "seed", type: "int", default: 0, min: 0 },
  { key: "plot", type: "enum", values: ["2d", "3d", "split"], default: "2d" },
  { key: "eig", type: "int", default: 0, min: 0, max: 1000 },
  { key: "log", type: "bool", default: true },
  // ---- analysis views (basins / phase / tune): each view's own settings. null = the view's default
  // (views/analysis-common.js DEFAULTS), so these stay out of the link until the user changes them.
  { key: "bn", type: "int", default: null, min: 2, limit: "max_basin_n" }, // basins: starts per axis
  { key: "bsteps", type: "int", default: null, min: 1, limit: "max_steps" }, // basins: updates per start
  { key: "bopt", type: "int", default: null, min: 1, max: 4095 }, // basins: optimizers shown, bit i = opt[i]
  { key: "btol", type: "number", default: null, min: 1e-12, max: 1 }, // basins: converged when |∇f| < btol
  { key: "popt", type: "int", default: null, min: 0, limit: "max_optimizers", offset: -1 }, // phase: index of the optimizer in opt
  { key: "px", type: "name", default: null }, // phase: hyperparameter on the x axis
  { key: "py", type: "name", default: null }, // phase: hyperparameter on the y axis
  { key: "pxr", type: "point", default: null }, // phase: x range lo,hi
  { key: "pyr", type: "point", default: null }, // phase: y range lo,hi
  { key: "pn", type: "int", default: null, min: 2, limit: "max_phase_n" }, // phase: values per axis
  { key: "psteps", type: "int", default: null, min: 1, limit: "max_steps" }, // phase: updates per cell
  { key: "tmethod", type: "enum", values: ["grid", "halving"], default: null }, // tune: search method
  { key: "tbudget", type: "int", default: null, min: 2, max: 64 }, // tune: trials per optimizer
  { key: "tlr", type: "point", default: null }, // tune: lr range lo,hi
  // ---- teaching (static/js/teach/): null = off, so these stay out of the link until used
  { key: "step", type: "int", default: null, min: 0, limit: "max_optimizers", offset: -1 }, // step-through: index of the optimizer in opt
  { key: "card", type: "name", default: null }, // lesson card shown: the lesson's slug
  { key: "cardscene", type: "int", default: null, min: 0, max: 20 }, // lesson card: index of the scene shown
  // ---- networks view (views/networks*.js): its own settings; null = the view's default (networks-config.js)
  { key: "ndata", type: "spec", default: null }, // dataset: moons(n=200,seed=0,noise=0.1)
  { key: "nmodel", type: "spec", default: null }, // model: tanh(hidden=8x8,loss=auto,init=he,sigma=0.1,seed=0)
  { key: "nopt", type: "specs", default: null }, // the view's own optimizer list (network-scale η)
  { key: "nsteps", type: "int", default: null, min: 1, limit: "max_network_steps" }, // updates per optimizer
  { key: "nbatch", type: "int", default: null, min: 0, limit: "max_dataset_n" }, // minibatch size, 0 = full batch
  { key: "nsched", type: "spec", default: null }, // lr schedule
  { key: "nsharp", type: "int", default: null, min: 0, limit: "max_network_steps" }, // λmax every k steps, 0 = off
  { key: "nplane", type: "spec", default: null }, // plane: pca(n=31,span=0,at=0,seed=0), at −1 = initial weights
  { key: "nplot", type: "enum", values: ["2d", "3d"], default: null }, // plane: contour or 3D
  // ---- custom surface (controls/formula.js): used when surface = "custom"; null = its default
  // (x**2 + 10*y**2 - 0.5*sin(3*x*y) on [-5, 5]²). Only formulas the server accepted are stored.
  { key: "fexpr", type: "text", default: null, max: 500 }, // f(x, y), percent-encoded
  { key: "fdx", type: "point", default: null }, // domain x lo,hi
  { key: "fdy", type: "point", default: null }, // domain y lo,hi
];

/**
 * Rows with `limit` take their max from the server's limits (GET /api/limits; the page's config
 * carries the same numbers), plus `offset` (an index below a count): the page keeps no copy of them.
 */
export function applyLimits(limits = {}) {
  for (const row of PARAMS) {
    if (row.limit && Number.isFinite(limits[row.limit])) row.max = limits[row.limit] + (row.offset || 0);
  }
}

const num = (v) => String(Number(Number(v).toPrecision(8)));
const SPECIAL = /[%&=;,()#~|/\s]/g;
const encText = (s) => String(s).replace(SPECIAL, (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0"));
const decText = (s) => { try { return decodeURIComponent(s); } catch { return s; } };

/** {name: "adam", lr: 0.3, betas: [0.9, 0.999], label: "A"} → "adam(lr=0.3,betas=0.9/0.999,label=A)" */
export function encodeSpec(spec) {
  const parts = [];
  for (const [k, v] of Object.entries(spec)) {
    if (k === "name" || v === undefined || v === null) continue;
    if (Array.isArray(v)) parts.push(`${k}=${v.map(num).join("/")}`);
    else if (typeof v === "boolean") parts.push(BOOL_KEYS.has(k) ? `${k}=${v ? 1 : 0}` : `${k}=${v}`);
    else if (typeof v === "number") parts.push(`${k}=${num(v)}`);
    else parts.push(`${k}=${encText(v)}`);
  }
  return parts.length ? `${spec.name}(${parts.join(",")})` : spec.name;
}

const BOOL_KEYS = new Set(["amsgrad", "centered", "nesterov"]);
const TEXT_KEYS = new Set(["label"]);

export function decodeSpec(text) {
  const m = /^([A-Za-z_][\w]*)(?:\((.*)\))?$/.exec(text.trim());
  if (!m) return null;
  const spec = { name: m[1] };
  for (const kv of (m[2] || "").split(",").filter(Boolean)) {
    const [k, raw = ""] = kv.split("=");
    if (!/^[A-Za-z_]\w*$/.test(k)) continue;
    if (TEXT_KEYS.has(k)) spec[k] = decText(raw);
    else if (BOOL_KEYS.has(k)) spec[k] = raw === "1" || raw === "true";
    else if (raw === "true" || raw === "false") spec[k] = raw === "true"; // any newer optimizer's flag
    else if (raw.includes("/")) spec[k] = raw.split("/").map(Number);
    else if (raw !== "" && Number.isFinite(Number(raw))) spec[k] = Number(raw);
    else spec[k] = decText(raw);
  }
  return spec;
}

const CODECS = {
  enum: { enc: String, dec: (s, row) => (!row.values || row.values.includes(s) ? s : row.default) },
  name: { enc: String, dec: (s, row) => (/^[\w-]+$/.test(s) ? s : row.default) },
  int: { enc: (v) => String(Math.round(v)), dec: (s, row) => clamp(Math.round(Number(s)), row) },
  number: { enc: num, dec: (s, row) => clamp(Number(s), row) },
  bool: { enc: (v) => (v ? "1" : "0"), dec: (s) => s === "1" || s === "true" },
  point: {
    enc: (p) => p.map(num).join(","),
    dec: (s, row) => { const p = s.split(",").map(Number); return p.length === 2 && p.every(Number.isFinite) ? p : row.default; },
  },
  spec: { enc: encodeSpec, dec: (s, row) => decodeSpec(s) || row.default },
  text: { enc: (s) => encodeURIComponent(s), dec: (s, row) => { const t = decText(s); return t.length <= row.max ? t : row.default; } },
  specs: { enc: (list) => list.map(encodeSpec).join(";"), dec: (s) => s.split(";").map(decodeSpec).filter(Boolean) },
};

function clamp(v, row) {
  if (!Number.isFinite(v)) return row.default;
  if (row.min !== undefined && v < row.min) return row.min;
  if (row.max !== undefined && v > row.max) return row.max;
  return v;
}

export const clone = (x) => structuredClone(x);

/** The state a fresh page starts from, built from the API's DEFAULT_SCENE (the single source). */
export function defaultState(scene = {}) {
  const s = Object.fromEntries(PARAMS.map((r) => [r.key, clone(r.default)]));
  s.sp = {};
  if (scene.surface) { s.surface = scene.surface.name; s.sp = { ...(scene.surface.params || {}) }; }
  if (scene.start) s.start = [...scene.start];
  if (scene.steps) s.steps = scene.steps;
  if (scene.optimizers) s.opt = scene.optimizers.map((o) => ({ ...o }));
  if (scene.schedule) s.schedule = { ...scene.schedule };
  if (scene.noise) { s.sigma = scene.noise.sigma ?? 0; s.seed = scene.noise.seed ?? 0; }
  return s;
}

export function encodeState(state) {
  const out = [];
  for (const row of PARAMS) {
    const v = state[row.key];
    if (v === undefined || v === null) continue;
    out.push(`${row.key}=${CODECS[row.type].enc(v)}`);
    if (row.key === "surface") for (const [k, pv] of Object.entries(state.sp || {})) out.push(`s.${k}=${num(pv)}`);
  }
  return out.join("&");
}

/** Parse a hash onto `base` (rows missing from the hash keep base's values). */
export function decodeState(hash, base) {
  const state = clone(base);
  const text = (hash || "").replace(/^#/, "");
  if (!text) return state;
  const rows = Object.fromEntries(PARAMS.map((r) => [r.key, r]));
  const sp = {};
  let sawSurface = false;
  for (const pair of text.split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    const key = decText(pair.slice(0, eq));
    const raw = pair.slice(eq + 1);
    if (key.startsWith("s.")) { const v = Number(raw); if (Number.isFinite(v)) sp[key.slice(2)] = v; continue; }
    const row = rows[key];
    if (!row) continue;
    state[key] = CODECS[row.type].dec(raw, row);
    if (key === "surface") sawSurface = true;
  }
  // a hash naming a surface carries that surface's params (none listed → its defaults)
  if (sawSurface) state.sp = sp;
  return state;
}

const HASH_PAUSE_MS = 120;

/** A store: get / update(mutator) / subscribe; every update is written to the hash. */
export function createStore(initial, { writeHash = true } = {}) {
  let state = clone(initial);
  const subs = new Set();
  const notify = (source) => subs.forEach((fn) => fn(state, source));
  let timer = null;
  const write = () => {
    clearTimeout(timer); timer = null;
    if (!writeHash) return;
    const hash = "#" + encodeState(state);
    if (location.hash !== hash) history.replaceState(null, "", hash);
  };
  write();
  return {
    get: () => state,
    /**
     * mutator(draft) edits a copy; `source` tells subscribers who changed it; hash: false defers the URL (a drag).
     * A range slider being dragged writes the URL once it pauses (HASH_PAUSE_MS): Chromium fetches and parses
     * the favicon again on every replaceState, a few ms of main thread per input event.
     */
    update(mutator, source = "ui", { hash = true } = {}) {
      const draft = clone(state);
      mutator(draft);
      state = draft;
      const ev = typeof window !== "undefined" ? window.event : null;
      if (hash && ev?.type === "input" && ev.target?.type === "range") {
        clearTimeout(timer);
        timer = setTimeout(write, HASH_PAUSE_MS);
      } else if (hash) write();
      notify(source);
    },
    replace(next, source = "hash") { state = clone(next); write(); notify(source); },
    subscribe(fn) { subs.add(fn); return () => subs.delete(fn); },
  };
}
