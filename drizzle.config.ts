import { defineConfig } from "drizzle-kit";

// "sqlite" covers both D1 and libSQL: one set of migrations for both stores.
export default defineConfig({
  dialect: "sqlite",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
});
