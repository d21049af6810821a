// GET /docs: a self-contained reference page rendered from /v1/openapi.json (no CDN, works offline).
import type { App } from "../app";

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Timbre API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#14213d;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
main{max-width:1100px;margin:0 auto;padding:20px 28px}
h2{border-bottom:1px solid #dde2ea;padding-bottom:4px;margin-top:32px}
details{background:#fff;border:1px solid #dde2ea;border-radius:6px;margin:8px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:center}
.m{font:600 12px monospace;padding:2px 8px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.patch{background:#ef6c00}.put{background:#6a1b9a}.delete{background:#c62828}
code,pre{font:13px monospace}pre{background:#f3f5f8;padding:10px;overflow:auto;border-radius:4px;margin:6px 12px}
.body{padding:0 12px 12px}.lock{color:#8a6d00;font-size:12px}
</style></head><body><header><h1>Timbre API</h1><div id="desc"></div></header><main id="root">Loading…</main>
<script type="module">
const spec = await (await fetch("/v1/openapi.json")).json();
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (ch) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"})[ch]);
const resolve = (s) => s && s.$ref ? spec.components.schemas[s.$ref.split("/").pop()] : s;
document.getElementById("desc").textContent = spec.info.description ?? "";
const groups = {};
for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) {
  (groups[(op.tags ?? ["Other"])[0]] ??= []).push({ path, method, op });
}
let html = "";
for (const [tag, list] of Object.entries(groups)) {
  html += "<h2>" + esc(tag) + "</h2>";
  for (const { path, method, op } of list) {
    const params = (op.parameters ?? []).map((p) => "<li><code>" + esc(p.name) + "</code> (" + esc(p.in) + (p.required ? ", required" : "") + ")</li>").join("");
    const body = op.requestBody ? Object.entries(op.requestBody.content).map(([type, c]) => "<div>Body <code>" + esc(type) + "</code></div><pre>" + esc(JSON.stringify(resolve(c.schema), null, 2)) + "</pre>").join("") : "";
    const responses = Object.entries(op.responses ?? {}).map(([code, r]) => "<li><code>" + code + "</code> " + esc(r.description) + "</li>").join("");
    html += "<details><summary><span class='m " + method + "'>" + method.toUpperCase() + "</span><code>" + esc(path) + "</code> " + esc(op.summary) + (op.security && op.security.length ? " <span class='lock'>bearer token</span>" : "") + "</summary><div class='body'><p>" + esc(op.description) + "</p>" + (params ? "<div>Parameters</div><ul>" + params + "</ul>" : "") + body + "<div>Responses</div><ul>" + responses + "</ul></div></details>";
  }
}
document.getElementById("root").innerHTML = html;
</script></body></html>`;

export function register(app: App) {
  app.get("/docs", (c) => c.html(PAGE));
}
