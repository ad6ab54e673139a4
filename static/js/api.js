// api.js — fetch JSON, read NDJSON streams, turn FastAPI's 422 details into readable sentences.
// A 503 (the server's compute queue is full) is retried after its Retry-After, with a polite notice;
// a stream that ends without its `done` line was cut off and is reported as such.

const MAX_BUSY_RETRIES = 6;
const MAX_RETRY_WAIT_S = 30;

export class ApiError extends Error {
  constructor(status, detail) {
    super(readableDetail(status, detail));
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

export const isAbort = (err) => err && (err.name === "AbortError" || err.code === 20);

/** [{loc: ["body", "optimizers", 0, "lr"], msg: "..."}] → "optimizers[0].lr: ...". */
export function readableDetail(status, detail) {
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const loc = (d.loc || []).filter((p) => p !== "body")
        .map((p, i) => (typeof p === "number" ? `[${p}]` : (i ? "." : "") + p)).join("");
      const msg = String(d.msg || "").replace(/^Value error, /, "");
      return loc ? `${loc}: ${msg}` : msg;
    }).join(" · ");
  }
  if (typeof detail === "string" && detail) return detail;
  if (status === 413) return "The request is too large.";
  if (status === 503) return "The server is busy; please try again in a moment.";
  return `The server answered HTTP ${status}.`;
}

async function fail(res) {
  let detail = res.statusText;
  try { detail = (await res.json()).detail ?? detail; } catch { /* not JSON */ }
  throw new ApiError(res.status, detail);
}

/** The #toast line (role=status, polite) while waiting for a busy server; cleared on the answer. */
function busyNotice(text) {
  const el = typeof document !== "undefined" && document.getElementById("toast");
  if (!el) return;
  if (text) { el.textContent = text; el.hidden = false; el.dataset.busy = "1"; }
  else if (el.dataset.busy) { el.hidden = true; delete el.dataset.busy; }
}

function sleep(seconds, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new DOMException("Aborted", "AbortError")); return; }
    const timer = setTimeout(() => { signal?.removeEventListener("abort", stop); resolve(); }, seconds * 1000);
    const stop = () => { clearTimeout(timer); reject(new DOMException("Aborted", "AbortError")); };
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/** fetch, retrying a 503 after its Retry-After (at most MAX_BUSY_RETRIES times). */
export async function fetchRetrying(url, init = {}) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt > MAX_BUSY_RETRIES) { busyNotice(null); return res; }
    const wait = Math.min(MAX_RETRY_WAIT_S, Math.max(1, Number(res.headers.get("retry-after")) || 2));
    busyNotice(`The server is busy with other work — trying again in ${wait} s…`);
    try { await sleep(wait, init.signal); } catch (err) { busyNotice(null); throw err; }
  }
}

export async function getJSON(url, { signal } = {}) {
  const res = await fetchRetrying(url, { signal, headers: { accept: "application/json" } });
  if (!res.ok) await fail(res);
  return res.json();
}

export async function postJSON(url, body, { signal } = {}) {
  const res = await fetchRetrying(url, {
    method: "POST", signal, body: JSON.stringify(body),
    headers: { "content-type": "application/json", accept: "application/json" },
  });
  if (!res.ok) await fail(res);
  return res.json();
}

/** POST and call onLine(obj) for every NDJSON line as it arrives; an in-band error line throws, and
 * so does a stream that ends without its `done` line (cut off by a server fault or the network). */
export async function streamNDJSON(url, body, { signal, onLine }) {
  const res = await fetchRetrying(url, {
    method: "POST", signal, body: JSON.stringify(body),
    headers: { "content-type": "application/json", accept: "application/x-ndjson" },
  });
  if (!res.ok) await fail(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finished = false;
  const emit = (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.type === "error") throw new ApiError(500, msg.detail || "the run failed midway");
    if (msg.type === "done") finished = true;
    onLine(msg);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      emit(line);
    }
  }
  const cutOff = () => new ApiError(502, "The results were cut off before the server finished (no done "
    + "line): what is shown is incomplete. Run again to get the whole result.");
  try { emit(buffer + decoder.decode()); } catch (err) { throw err instanceof SyntaxError ? cutOff() : err; }
  if (!finished) throw cutOff();
}
