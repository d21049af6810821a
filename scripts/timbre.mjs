#!/usr/bin/env node
// `npx timbre …` (package.json "bin"): runs the TypeScript CLI of shared/cli/main.ts.
//
// Startup is most of a CLI call, so instead of transpiling file by file on every run (tsx: ~1 s
// here), the CLI is bundled once with esbuild (a dependency of tsx and vite) into
// node_modules/.cache/timbre-cli and rebuilt only when one of its source files changes (their
// mtimes and sizes are recorded in manifest.json): a cached run costs about a quarter of that.
// Commands are split into lazily loaded chunks, so `inspect` never loads the builder's code.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cache = join(root, "node_modules/.cache/timbre-cli");
const manifestFile = join(cache, "manifest.json");

const stamp = (file) => {
  try {
    const { mtimeMs, size } = statSync(join(root, file));
    return `${mtimeMs}:${size}`;
  } catch {
    return "missing";
  }
};

function cachedEntry() {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    const fresh = Object.entries(manifest.inputs).every(([file, recorded]) => stamp(file) === recorded);
    return fresh ? join(cache, manifest.dir, "main.js") : undefined;
  } catch {
    return undefined;
  }
}

async function rebuild() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: "shared/cli/main.ts" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    packages: "external",
    outdir: "out",
    write: false,
    metafile: true,
    logLevel: "error",
  });
  const hash = createHash("sha256");
  for (const file of result.outputFiles) hash.update(file.path).update(file.contents);
  const dir = hash.digest("hex").slice(0, 16);
  // Concurrent runs may build at once: each writes a private folder, then one rename wins.
  const staging = join(cache, `${dir}.${process.pid}.tmp`);
  for (const file of result.outputFiles) {
    const target = join(staging, relative(join(root, "out"), file.path));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.contents);
  }
  try {
    renameSync(staging, join(cache, dir));
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((file) => [file, stamp(file)]));
  const manifestTmp = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(manifestTmp, JSON.stringify({ dir, inputs }));
  renameSync(manifestTmp, manifestFile);
  // Old builds go once they are an hour old, so a run that started from one can still load its chunks.
  for (const name of readdirSync(cache)) {
    const path = join(cache, name);
    try {
      if (name !== dir && name !== "manifest.json" && Date.now() - statSync(path).mtimeMs > 3_600_000) {
        rmSync(path, { recursive: true, force: true });
      }
    } catch {
      // Another run removed it first.
    }
  }
  return join(cache, dir, "main.js");
}

let entry = cachedEntry();
if (!entry) {
  mkdirSync(cache, { recursive: true });
  entry = await rebuild();
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
