/**
 * `npm start`: a local Timbre at http://127.0.0.1:8787 with no network needed. Creates .dev.vars from
 * the example on first run, applies the D1 migrations, seeds the demo data (idempotently) and runs
 * `wrangler dev`. Everything lives in .wrangler/state; delete that folder to start over.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
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
