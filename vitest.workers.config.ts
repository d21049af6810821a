// Suites that need bindings (D1, R2, Queues, Durable Objects) run inside workerd with the real Worker.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { cfdiFixtureFiles } from "./test/node/helpers/fixtures";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("db/migrations");
  return {
    plugins: [
      cloudflareTest({
        main: "./workers/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // Tests send jobs to a queue nobody consumes: a consumer still running when a test file
          // ends outlives its isolated storage and stalls the next file. Consumer tests drive
          // batches by hand (createMessageBatch), which is also deterministic.
          queueProducers: { JOBS: { queueName: "timbre-jobs-tests" } },
          bindings: {
            TEST_MIGRATIONS: migrations,
            // workerd has no file system: the CFDI fixture corpus travels as a binding.
            TEST_FIXTURES: cfdiFixtureFiles(),
            // The Facturapi fake answers here, in-process (test/workers/stamping-facturapi.test.ts).
            FACTURAPI_BASE_URL: "https://facturapi.test/v2",
            ENVIRONMENT: "test",
            DEV_ROUTES: "true",
            TOKEN_SIGNING_KEY: "test-signing-key-0123456789abcdef0123456789",
            DATA_ENCRYPTION_KEY: "dGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=",
            // The production URL policy, whatever a developer's .dev.vars says (its example turns it on).
            WEBHOOKS_ALLOW_INSECURE_LOCAL: "false",
            FACTURAPI_WEBHOOK_SECRET: "wh_sec_test_0123456789abcdef",
            // The Stripe fake answers here, in-process (test/workers/billing.test.ts). STRIPE_SECRET_KEY is
            // empty whatever .dev.vars says, so other suites see billing unconfigured and top-ups credited
            // directly; the billing suites set it for their own run.
            STRIPE_SECRET_KEY: "",
            STRIPE_API_BASE: "https://stripe.test",
            STRIPE_WEBHOOK_SECRET: "whsec_timbre_test",
          },
        },
      }),
    ],
    test: {
      include: ["test/workers/**/*.test.ts"],
      setupFiles: ["./test/workers/setup.ts"],
      maxWorkers: 1,
      // Request logs are structured JSON lines; show them only for failing tests.
      silent: "passed-only" as const,
      testTimeout: 30_000,
    },
  };
});
