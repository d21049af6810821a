// Test-only access to the shared fixture corpus that sits beside the repository (../shared/fixtures).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES_DIR = resolve(fileURLToPath(new URL("../../../../shared/fixtures", import.meta.url)));

export const fixturePath = (...parts: string[]) => join(FIXTURES_DIR, ...parts);
export const readFixture = (...parts: string[]) => readFileSync(fixturePath(...parts));
export const readFixtureText = (...parts: string[]) => readFileSync(fixturePath(...parts), "utf8");

/** Every CFDI XML under cfdi/ (recursive), as paths relative to cfdi/, e.g. "40/pagos/test-pago20-signed.xml". */
export function listCfdiFixtures(sub = ""): string[] {
  const root = fixturePath("cfdi", sub);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".xml")) out.push(relative(fixturePath("cfdi"), full));
    }
  };
  walk(root);
  return out.sort();
}

/** Golden cadena file name for a fixture path relative to cfdi/ ("40/pagos/x.xml" -> "40__pagos__x.cadena.txt"). */
export const goldenName = (rel: string, kind: "cadena" | "tfd-cadena" = "cadena") =>
  `${rel
    .replace(/\.xml$/, "")
    .split("/")
    .join("__")}.${kind}.txt`;

/**
 * The fixtures workerd suites need, as text keyed by path relative to ../shared/fixtures
 * ("cfdi/40/pagos/test-pago20-signed.xml", "cfdi/golden/verification.json"); binary files (CSD .cer/.key)
 * as base64 under "csd/<RFC>/<name>". Passed to workerd as the TEST_FIXTURES binding.
 */
export function cfdiFixtureFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listCfdiFixtures()) out[`cfdi/${rel}`] = readFixtureText("cfdi", rel);
  out["cfdi/golden/verification.json"] = readFixtureText("cfdi", "golden", "verification.json");
  const csd = fixturePath("csd");
  for (const rfc of readdirSync(csd)) {
    const dir = join(csd, rfc);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isFile()) out[`csd/${rfc}/${name}`] = readFileSync(full).toString("base64");
    }
  }
  return out;
}
