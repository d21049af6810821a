// Every test file starts from a migrated, empty database (storage is isolated per test file).
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      /** ../shared/fixtures files by relative path (see test/node/helpers/fixtures.ts cfdiFixtureFiles). */
      TEST_FIXTURES: Record<string, string>;
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
