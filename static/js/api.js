// api.js — fetch JSON, read NDJSON streams, turn FastAPI's 422 details into readable sentences.

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
  return `The server answered HTTP ${status}.`;
}

async function fail(res) {
  let detail = res.statusText;
  try { detail = (await res.json()).detail ?? detail; } catch { /* not JSON */ }
  throw new ApiError(res.status, detail);
}

export async function getJSON(url, { signal } = {}) {
  const res = await fetch(url, { signal, headers: { accept: "application/json" } });
  if (!res.ok) await fail(res);
  return res.json();
}

export async function postJSON(url, body, { signal } = {}) {
  const res = await fetch(url, {
    method: "POST", signal, body: JSON.stringify(body),
    headers: { "content-type": "application/json", accept: "application/json" },
  });
  if (!res.ok) await fail(res);
  return res.json();
}

/** POST and call onLine(obj) for every NDJSON line as it arrives; an in-band error line throws. */
export async function streamNDJSON(url, body, { signal, onLine }) {
  const res = await fetch(url, {
    method: "POST", signal, body: JSON.stringify(body),
    headers: { "content-type": "application/json", accept: "application/x-ndjson" },
  });
  if (!res.ok) await fail(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const emit = (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.type === "error") throw new ApiError(500, msg.detail || "the run failed midway");
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
  emit(buffer + decoder.decode());
}
