#!/usr/bin/env node
// `npx timbre …` (package.json "bin"): runs the TypeScript CLI in shared/cli/main.ts through tsx's
// in-process loader, so there is no build step and no second Node process at startup.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../shared/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
