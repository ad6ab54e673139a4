// limits.js — the server's request limits (what GET /api/limits publishes, rendered into the page's config):
// the one source of every bound the page applies to its inputs and links.

const config = JSON.parse(document.body.dataset.config || "{}");

/** {max_steps, max_optimizers, max_hidden_width, max_depth, max_plane_n, ...} as the server is configured. */
export const LIMITS = Object.freeze({ ...(config.limits || {}) });
