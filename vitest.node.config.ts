// Pure-logic suites (shared/ domain code, the CFDI engine, the libSQL query layer) run in plain Node.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/node/**/*.test.ts"],
    environment: "node",
    // Two cores on CI: one fork keeps the machine responsive and timings stable.
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 30_000,
  },
});
