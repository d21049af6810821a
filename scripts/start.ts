/**
 * `npm start`: a local Timbre at http://127.0.0.1:8787 with no network needed. Creates .dev.vars from
 * the example on first run, applies the D1 migrations, seeds the demo data (idempotently) and runs
 * `wrangler dev`, then uploads the demo invoices and the demo organization's test CSD through the API
 * and tops up its balance, so it can stamp. Everything lives in .wrangler/state;
 * delete that folder to start over.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO, demoSql } from "./demo-data";

const root = join(import.meta.dirname, "..");
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CI: process.env.CI ?? "true",
  NO_UPDATE_NOTIFIER: "1",
};
const wrangler = join(root, "node_modules", ".bin", "wrangler");

function run(args: string[]) {
  const result = spawnSync(wrangler, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) {
    console.error(`wrangler ${args.join(" ")} failed`);
    process.exit(result.status ?? 1);
  }
}

if (!existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("Created .dev.vars from .dev.vars.example");
}

run(["d1", "migrations", "apply", "DB", "--local"]);
const tmp = join(root, ".wrangler", "tmp");
mkdirSync(tmp, { recursive: true });
const seedFile = join(tmp, "demo-seed.sql");
writeFileSync(seedFile, await demoSql());
run(["d1", "execute", "DB", "--local", "--file", seedFile]);

const port = process.env.PORT ?? "8787";
console.log(`
  Timbre is starting at http://127.0.0.1:${port}   (docs: /docs, OpenAPI: /v1/openapi.json)

  Demo user        ${DEMO.email} / ${DEMO.password}
  OAuth client     ${DEMO.clientId} / ${DEMO.clientSecret}
  Organization     ${DEMO.organization.name} (${DEMO.organization.taxIdentifier})  id ${DEMO.organization.id}
  Its provider     ${DEMO.provider.name} (${DEMO.provider.taxIdentifier})  id ${DEMO.provider.id}
  Outbox (2FA, verification and reset codes): GET /v1/dev/outbox

  curl -s -X POST http://127.0.0.1:${port}/v1/oauth/token \\
    -d grant_type=password -d username=${DEMO.email} -d 'password=${DEMO.password}' \\
    -d client_id=${DEMO.clientId} -d client_secret=${DEMO.clientSecret}
`);

const dev = spawn(
  wrangler,
  ["dev", "--ip", "127.0.0.1", "--port", port, "--show-interactive-dev-session=false"],
  {
    cwd: root,
    env,
    stdio: "inherit",
  },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));

/** Waits for the local API, then signs the demo user in. */
async function demoSession(base: string) {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      if ((await fetch(`${base}/v1/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const login = await fetch(`${base}/v1/oauth/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "password",
      username: DEMO.email,
      password: DEMO.password,
      client_id: DEMO.clientId,
      client_secret: DEMO.clientSecret,
    }),
  });
  const { access_token: token } = (await login.json()) as { access_token?: string };
  if (!token) throw new Error(`demo login failed (${login.status})`);
  return { authorization: `Bearer ${token}` };
}

/**
 * The demo invoices go in through the API itself once it answers, exactly as a user's uploads would
 * (parsed, verified, validated, stored in R2), and only into an empty inbox, so restarts add nothing.
 */
async function seedDemoInvoices(base: string, headers: Record<string, string>) {
  const inbox = `${base}/v1/invoices?organization_id=${DEMO.organization.id}`;
  const existing = (await (await fetch(inbox, { headers })).json()) as { totalCount?: number };
  if ((existing.totalCount ?? 0) > 0) return;
  const dir = join(root, "scripts", "demo", "invoices");
  let stored = 0;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".xml"))
    .sort()) {
    const form = new FormData();
    form.append("invoiceXml", new File([readFileSync(join(dir, name))], name, { type: "application/xml" }));
    const res = await fetch(inbox, { method: "POST", headers, body: form });
    if (res.status === 201) stored++;
    else console.error(`demo invoice ${name}: ${res.status} ${await res.text()}`);
  }
  console.log(
    `\n  Seeded ${stored} demo invoices from ${DEMO.provider.name}: GET /v1/invoices?organization_id=${DEMO.organization.id}\n`,
  );
}

/**
 * Makes the demo organization able to stamp: SAT's test CSD for its RFC (scripts/demo/csd) uploaded
 * the way a user would, and a first top-up of the balance (credited directly: no payment provider runs
 * locally). Both only once.
 */
async function prepareDemoStamping(base: string, headers: Record<string, string>) {
  const orgId = DEMO.organization.id;
  const org = (await (await fetch(`${base}/v1/organizations/${orgId}`, { headers })).json()) as {
    csdUploadedAt?: string | null;
  };
  if (!org.csdUploadedAt) {
    const upload = async (type: string, name: string) => {
      const form = new FormData();
      form.append("file", new File([readFileSync(join(root, "scripts", "demo", "csd", name))], name));
      const res = await fetch(`${base}/v1/files?type=${type}&organization_id=${orgId}`, {
        method: "POST",
        headers,
        body: form,
      });
      const json = (await res.json()) as { file?: { id: string } };
      if (!json.file) throw new Error(`demo CSD upload ${name}: ${res.status}`);
      return json.file.id;
    };
    const res = await fetch(`${base}/v1/organizations/${orgId}/csd`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({
        csdCertFileId: await upload("csd_cert_file", "EKU9003173C9.cer"),
        csdKeyFileId: await upload("csd_key_file", "EKU9003173C9.key"),
        csdPassword: "12345678a",
      }),
    });
    if (!res.ok) throw new Error(`demo CSD: ${res.status} ${await res.text()}`);
  }
  const balance = (await (
    await fetch(`${base}/v1/balance?organization_id=${orgId}`, { headers })
  ).json()) as {
    balanceAmount?: number;
    lastTransactionAt?: string | null;
  };
  if (!balance.lastTransactionAt) {
    const res = await fetch(`${base}/v1/balance/top-ups?organization_id=${orgId}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "idempotency-key": "demo-first-top-up" },
      body: JSON.stringify({ amount: 500 }),
    });
    if (!res.ok) throw new Error(`demo top-up: ${res.status} ${await res.text()}`);
  }
  console.log(`  The demo organization can stamp (SAT test CSD, 500 MXN balance):
  curl -s -X POST 'http://127.0.0.1:${port}/v1/invoices/stamp?provider_id=${orgId}' \\
    -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"recipient":{"name":"${DEMO.provider.name}","taxIdentifier":"${DEMO.provider.taxIdentifier}","taxRegime":"${DEMO.provider.taxRegime}","postalCode":"${DEMO.provider.postalCode}"},"items":[{"description":"Colegiatura","itemKey":"86121700","unitKey":"E48","quantity":1,"netUnitPriceAmount":1000}],"paymentForm":"03","cfdiUse":"G03","paymentMethod":"PUE"}'
`);
}

async function seedDemo(base: string) {
  const headers = await demoSession(base);
  await seedDemoInvoices(base, headers);
  await prepareDemoStamping(base, headers);
}

seedDemo(`http://127.0.0.1:${port}`).catch((error) => console.error("demo data:", error));
