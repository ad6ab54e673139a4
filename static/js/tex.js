// tex.js — a small LaTeX → HTML converter for the formulas the API sends (no MathJax offline).
// Handles the subset the catalogues use: greek letters, \frac/\tfrac, \sqrt, sub/superscripts,
// \sum, \min/\max/\cos..., spacing and delimiters. Unknown commands degrade to their name.

const SYMBOLS = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", Delta: "Δ", epsilon: "ε", varepsilon: "ε", eta: "η",
  theta: "θ", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ", sigma: "σ",
  tau: "τ", phi: "φ", psi: "ψ", omega: "ω", Sigma: "Σ", nabla: "∇", partial: "∂", infty: "∞",
  cdot: "·", times: "×", leftarrow: "←", rightarrow: "→", to: "→", in: "∈", le: "≤", leq: "≤",
  ge: "≥", geq: "≥", ne: "≠", approx: "≈", lfloor: "⌊", rfloor: "⌋", lceil: "⌈", rceil: "⌉",
  sum: "Σ", prod: "∏", pm: "±", ldots: "…", dots: "…", top: "ᵀ",
};
const FUNCS = new Set(["cos", "sin", "tan", "exp", "log", "ln", "min", "max", "sqrt", "det", "tanh"]);
const SPACES = { ",": " ", ";": " ", ":": " ", "!": "", quad: "  ", qquad: "   ", " ": " " };

const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** Convert a LaTeX math string to an HTML string (safe: all text is escaped). */
export function texToHtml(src) {
  let i = 0;
  const peek = () => src[i];

  function readCommand() {
    i += 1; // backslash
    if (i < src.length && !/[A-Za-z]/.test(src[i])) return src[i++];
    let name = "";
    while (i < src.length && /[A-Za-z]/.test(src[i])) name += src[i++];
    return name;
  }
  function skipSpaces() { while (peek() === " ") i += 1; }

  // One "argument": a {group}, a command, or a single character.
  function atom() {
    skipSpaces();
    if (peek() === "{") { i += 1; return group("}"); }
    if (peek() === "\\") return command(readCommand());
    const ch = src[i++] ?? "";
    return esc(ch);
  }
  function fracParts() {
    // \tfrac12 takes single digits; \frac{a}{b} takes groups
    const a = atom(); const b = atom();
    const wrap = (s) => (/^[\w.αβγδεηθκλμνξπρστφψω]+$/u.test(s.replace(/<[^>]+>/g, "")) ? s : `(${s})`);
    if (a === "1" && b === "2") return "½";
    return `${wrap(a)}/${wrap(b)}`;
  }
  function command(name) {
    if (name in SPACES) return SPACES[name];
    if (name === "frac" || name === "tfrac" || name === "dfrac") return fracParts();
    if (name === "sqrt") { const a = atom(); return a.replace(/<[^>]+>/g, "").length > 1 ? `√(${a})` : `√${a}`; }
    if (name === "left" || name === "right" || name === "big" || name === "Big") {
      skipSpaces();
      const d = src[i] === "\\" ? command(readCommand()) : esc(src[i++] ?? "");
      return d === "." ? "" : d;
    }
    if (name === "mathrm" || name === "text" || name === "operatorname" || name === "mathbf") return atom();
    if (name === "{" || name === "}" || name === "_" || name === "%" || name === "#") return name;
    if (name === "|") return "‖";
    if (FUNCS.has(name)) { skipSpaces(); return /[\\A-Za-z0-9]/.test(peek() ?? "") ? ` ${name} ` : ` ${name}`; }
    if (name in SYMBOLS) return SYMBOLS[name];
    return esc(name);
  }
  function group(end) {
    let out = "";
    while (i < src.length) {
      const ch = peek();
      if (end && ch === end) { i += 1; return out; }
      if (ch === "\\") { out += command(readCommand()); continue; }
      if (ch === "^") { i += 1; out += `<sup>${atom()}</sup>`; continue; }
      if (ch === "_") { i += 1; out += `<sub>${atom()}</sub>`; continue; }
      if (ch === "{") { i += 1; out += group("}"); continue; }
      if (ch === "-") { i += 1; out += "−"; continue; }
      i += 1;
      out += esc(ch);
    }
    return out;
  }
  return group(null).replace(/\s+/g, " ").replace(/\( /g, "(").replace(/(<su[bp]>) /g, "$1").trim();
}
