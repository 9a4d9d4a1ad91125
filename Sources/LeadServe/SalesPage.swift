/// The page `GET /` serves to sales reps: paste a lead, see its score, grade, the contributions as
/// bars in points, the main reasons and what would raise it, in the words of `leadscore explain`.
///
/// One self-contained document (inline CSS and script, no external asset: it works offline). Every
/// value that comes from data is put in with `textContent` and `createElement`, never parsed as
/// HTML, and the Content-Security-Policy forbids anything but this page's own script and requests.
/// `#lead=…` in the address (the pasted text, URL-encoded) fills the box and submits it on load, so a
/// CRM can link straight to a lead's explanation.
enum SalesPage {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lead score</title>
<style>
  :root { --neg: #c0392b; --pos: #1e8449; --ink: #1c2833; --muted: #5d6d7e; --line: #d5dbdb; }
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; background: #f4f6f7; }
  header { background: #17202a; color: #fff; padding: 12px 24px; display: flex; justify-content: space-between; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header small { color: #aab7b8; }
  main { display: grid; grid-template-columns: minmax(260px, 360px) 1fr; gap: 20px; padding: 20px 24px; max-width: 1200px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
  label { font-weight: 600; display: block; margin-bottom: 6px; }
  textarea { width: 100%; min-height: 300px; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; padding: 8px; border: 1px solid var(--line); border-radius: 6px; }
  button { margin-top: 10px; padding: 8px 16px; font-size: 15px; border: 0; border-radius: 6px; background: #2471a3; color: #fff; cursor: pointer; }
  button.secondary { background: #eaeded; color: var(--ink); }
  .hint { color: var(--muted); font-size: 13px; margin-top: 8px; }
  .error { color: var(--neg); background: #fdedec; border: 1px solid #f5b7b1; border-radius: 6px; padding: 10px; white-space: pre-wrap; }
  .headline { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
  .score { font-size: 56px; font-weight: 700; line-height: 1; }
  .grade { font-size: 28px; font-weight: 700; border-radius: 8px; padding: 6px 16px; color: #fff; background: #7f8c8d; }
  .grade-A { background: #1e8449; } .grade-B { background: #2e86c1; } .grade-C { background: #d68910; } .grade-D { background: #c0392b; }
  .facts { color: var(--muted); }
  h2 { font-size: 16px; margin: 20px 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td { padding: 3px 6px; border-bottom: 1px solid #f2f3f4; vertical-align: middle; }
  td.col { white-space: nowrap; font-weight: 600; }
  td.val { color: var(--muted); max-width: 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  td.pts { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.bar { width: 40%; }
  .track { position: relative; height: 14px; }
  .track::before { content: ""; position: absolute; left: 50%; top: -3px; bottom: -3px; border-left: 1px solid #aab7b8; }
  .fill { position: absolute; top: 0; height: 14px; border-radius: 2px; }
  .fill.neg { right: 50%; background: var(--neg); }
  .fill.pos { left: 50%; background: var(--pos); }
  ul { margin: 0; padding-left: 20px; }
  li { margin: 3px 0; }
  code { color: var(--muted); font-size: 12px; }
  .notes li { color: var(--muted); }
  @media (max-width: 800px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header><h1>Lead score</h1><small id="model">loading the model…</small></header>
<main>
  <section>
    <form id="form">
      <label for="lead">Paste the lead</label>
      <textarea id="lead" spellcheck="false" autocomplete="off"></textarea>
      <button type="submit" id="submit">Score this lead</button>
      <button type="button" class="secondary" id="template">Column names</button>
      <p class="hint">One <code>column=value</code> per line, or a JSON object. Columns left out count as missing.</p>
    </form>
  </section>
  <section id="result" aria-live="polite">
    <p class="hint">The score, the grade and why appear here.</p>
  </section>
</main>
<script>
"use strict";
const MIN_REASON_POINTS = 0.5;  // as Explainer.minimumReasonPoints: smaller pulls are not reasons
let columns = [];

function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") node.textContent = v; else if (k === "cls") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children || []) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}
// As explain's signedPoints: rounded half away from zero to one decimal, then signed ("+0.0" for -0.04).
function signed(p) {
  if (p === null) return "n/a";
  const r = Math.sign(p) * Math.round(Math.abs(p) * 10) / 10;
  return (r < 0 ? "-" : "+") + Math.abs(r).toFixed(1);
}
function fixed(x, d) { return x === null ? "n/a" : x.toFixed(d); }

// "column=value" lines (or a JSON object) → the lead as an object of strings; throws a message.
function parseLead(text) {
  const trimmed = text.trim();
  if (trimmed === "") throw "Paste a lead first: one column=value per line, or a JSON object.";
  if (trimmed.startsWith("{")) {
    let object;
    try { object = JSON.parse(trimmed); } catch (e) { throw "This is not valid JSON: " + e.message; }
    if (object === null || typeof object !== "object" || Array.isArray(object)) throw "Expected one JSON object.";
    return object;
  }
  const lead = {};
  trimmed.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "" || line.trim().startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq < 0) throw "Line " + (i + 1) + " has no '=': write column=value.";
    const key = line.slice(0, eq).trim(), value = line.slice(eq + 1).trim();
    if (Object.prototype.hasOwnProperty.call(lead, key)) throw "The lead gives '" + key + "' twice; give each column once.";
    lead[key] = value;
  });
  return lead;
}

function showError(message, fields) {
  const result = document.getElementById("result");
  result.replaceChildren(el("div", { cls: "error", id: "error", text: message }));
  if (fields && fields.length) result.appendChild(el("p", { cls: "hint", text: "Fields: " + fields.join(", ") }));
}

function render(e) {
  const result = document.getElementById("result");
  result.replaceChildren();
  const grade = el("div", { cls: "grade grade-" + (/^[A-Z]$/.test(e.grade) ? e.grade : "x"), id: "grade", text: e.grade });
  result.appendChild(el("div", { cls: "headline" }, [
    el("div", { cls: "score", id: "score", text: fixed(e.score, 1) }),
    grade,
    el("div", { cls: "facts" }, [
      el("div", { id: "lead-id", text: "Lead " + e.id }),
      el("div", { text: "probability " + fixed(e.probability, 3) }),
      el("div", { text: "average lead " + fixed(e.base_score, 1) + " points" }),
    ]),
  ]));

  result.appendChild(el("h2", { text: "Each column moves this lead from the average (points)" }));
  // A bar shows the points as printed beside it (to one decimal): one that rounds to 0.0 ("+0.0")
  // gets no bar, rather than a hairline in the colour of a sign the text does not show.
  const shown = c => Math.sign(c.points || 0) * Math.round(Math.abs(c.points || 0) * 10) / 10;
  const maxAbs = Math.max(1e-9, ...e.contributions.map(c => Math.abs(shown(c))));
  const table = el("table", { id: "contributions" });
  for (const c of e.contributions) {
    const p = shown(c);
    const fill = el("div", { cls: "fill " + (p < 0 ? "neg" : "pos") });
    fill.style.width = (Math.min(1, Math.abs(p) / maxAbs) * 50).toFixed(2) + "%";
    table.appendChild(el("tr", { "data-code": c.code }, [
      el("td", { cls: "col", text: c.column }),
      el("td", { cls: "val", text: c.value === "" ? "(missing)" : c.value, title: c.value }),
      el("td", { cls: "bar" }, [el("div", { cls: "track" }, [fill])]),
      el("td", { cls: "pts", text: signed(c.points) }),
    ]));
  }
  result.appendChild(table);

  const reasons = e.contributions.filter(c => c.points !== null && c.points <= -MIN_REASON_POINTS).slice(0, 3);
  if (reasons.length) {
    result.appendChild(el("h2", { text: "Main reasons it scored lower" }));
    result.appendChild(el("ul", { id: "reasons" }, reasons.map(c =>
      el("li", {}, [c.reason, " ", el("code", { text: "[" + c.code + "]" })]))));
  }
  if (e.what_would_raise.length) {
    result.appendChild(el("h2", { text: "What would raise it (one column at a time, to values common in training)" }));
    result.appendChild(el("ul", { id: "raise" }, e.what_would_raise.map(i =>
      el("li", { text: i.reason + " → score " + fixed(i.new_score, 1) }))));
  }
  if (e.notes.length) {
    result.appendChild(el("h2", { text: "Notes" }));
    result.appendChild(el("ul", { cls: "notes", id: "notes" }, e.notes.map(n => el("li", { text: n }))));
  }
  result.setAttribute("data-state", "done");
}

async function submit(event) {
  if (event) event.preventDefault();
  const result = document.getElementById("result");
  let lead;
  try { lead = parseLead(document.getElementById("lead").value); } catch (message) { showError(String(message)); return; }
  result.setAttribute("data-state", "loading");
  try {
    const response = await fetch("v1/explain", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(lead) });
    const body = await response.json();
    if (!response.ok) { showError(body.error || ("HTTP " + response.status), body.fields); result.setAttribute("data-state", "error"); return; }
    render(body);
  } catch (e) {
    showError("The server did not answer: " + e.message);
    result.setAttribute("data-state", "error");
  }
}

async function loadModel() {
  try {
    const m = await (await fetch("v1/model")).json();
    columns = m.columns;
    document.getElementById("model").textContent =
      "model of " + m.created_at + " · " + m.fingerprint.slice(0, 12) + " · " + m.columns.length + " columns";
    const box = document.getElementById("lead");
    box.placeholder = (m.id_column ? m.id_column + "=…\n" : "") +
      m.columns.map(c => c.name + "=" + (c.levels && c.levels.length ? c.levels[0] : (c.type === "boolean" ? "yes" : "…"))).join("\n");
  } catch (e) {
    document.getElementById("model").textContent = "the model could not be read";
  }
}

document.getElementById("form").addEventListener("submit", submit);
document.getElementById("template").addEventListener("click", () => {
  const box = document.getElementById("lead");
  box.value = columns.map(c => c.name + "=").join("\n");
  box.focus();
});
loadModel();
if (location.hash.startsWith("#lead=")) {
  document.getElementById("lead").value = decodeURIComponent(location.hash.slice(6));
  submit();
}
</script>
</body>
</html>
"""#
}
