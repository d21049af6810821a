#!/usr/bin/env node
// `npm run bench [-- --n=20000 --no-workerd --no-xsltproc]`: runs the TypeScript benchmarks under
// tsx with this same Node, without sending wrangler metrics.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = spawnSync(
  process.execPath,
  ["--import", "tsx", "bench/cfdi.bench.ts", ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  },
);
process.exit(run.status ?? 1);
