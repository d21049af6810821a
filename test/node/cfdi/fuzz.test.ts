// Mutation fuzzing of parseCfdi + cadenaOriginal on the fixture corpus and on generated hostile
// documents (seeded, so reproducible): every input either parses or fails with a documented
// AppError code, never anything else; and on inputs libxml2 can also read, the accept/refuse
// decision and the cadena agree with SAT's XSLT run by xsltproc.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CADENA_ERROR_CODES, cadenaOriginal, tfdCadena } from "../../../shared/cfdi/cadena";
import { type Cfdi, timbre } from "../../../shared/cfdi/model";
import { CFDI_ERROR_CODES, parseCfdi } from "../../../shared/cfdi/parse";
import { AppError } from "../../../shared/errors";
import { fixturePath, listCfdiFixtures, readFixtureText } from "../helpers/fixtures";
import { mulberry32 } from "../helpers/random";

const CASES = 10_000;
const DIFFERENTIAL_CASES = 600;
const PARSE_CODES: readonly string[] = CFDI_ERROR_CODES;
const CADENA_CODES: readonly string[] = CADENA_ERROR_CODES;

/** Seeded, so a failing mutation reproduces. */
function prng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T };
}
type Rng = ReturnType<typeof prng>;

const encoder = new TextEncoder();
const corpus = listCfdiFixtures()
  .filter((f) => !f.startsWith("retenciones/"))
  .map((rel) => ({ rel, text: readFixtureText("cfdi", rel) }));

const ATTRIBUTE = /[A-Za-z_:][\w:.\-ñ]*="[^"]*"/g;
const EMPTY_ELEMENT = /<[A-Za-z][\w:]*\s[^<>]*\/>/g;

function matches(text: string, re: RegExp): RegExpExecArray[] {
  return [...text.matchAll(re)];
}

/** Replace one random match of `re` with `replace(match)`; the text unchanged when none. */
function onRandomMatch(text: string, re: RegExp, rng: Rng, replace: (m: string) => string): string {
  const all = matches(text, re);
  if (all.length === 0) return text;
  const m = rng.pick(all);
  return text.slice(0, m.index) + replace(m[0]) + text.slice(m.index + m[0].length);
}

/** Insert `what` inside a random attribute value. */
function intoValue(text: string, rng: Rng, what: string): string {
  return onRandomMatch(text, ATTRIBUTE, rng, (a) => {
    const open = a.indexOf('"') + 1;
    const at = open + rng.int(a.length - open);
    return a.slice(0, at) + what + a.slice(at);
  });
}

/** Insert `what` between two tags (where text may go). */
function betweenTags(text: string, rng: Rng, what: string): string {
  const gaps = matches(text, />\s*</g);
  if (gaps.length === 0) return text;
  const g = rng.pick(gaps);
  return text.slice(0, g.index + 1) + what + text.slice(g.index + 1);
}

const WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "&#9;", "&#10;", "&#13;", " &#32; "];
const REFERENCES = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#241;", "&#xF1;", "&#x1F600;"];
const UNICODE = ["ñ", "€", "𝄞", "\u00a0", "\u2028", "Ω", "\u0301"];
const MARKUP = [
  "<",
  ">",
  "&",
  '"',
  "'",
  "]]>",
  "<!--",
  "-->",
  "<![CDATA[",
  "&#0;",
  "&bogus;",
  "\u0000",
  "<?pi x?>",
  "</cfdi:Emisor>",
  "/>",
];

type Mutant = string | Uint8Array;
interface Mutation {
  name: string;
  /** Output libxml2 reads the same way we must (no DOCTYPE, no limit-sized input). */
  comparable: boolean;
  apply(text: string, rng: Rng): Mutant;
}

const MUTATIONS: Mutation[] = [
  {
    name: "byte flips",
    comparable: true,
    apply: (text, rng) => {
      const bytes = encoder.encode(text);
      for (let k = 1 + rng.int(4); k > 0; k--) bytes[rng.int(bytes.length)] = rng.int(256);
      return bytes;
    },
  },
  {
    name: "truncation",
    comparable: true,
    apply: (text, rng) => encoder.encode(text).slice(0, rng.int(text.length)),
  },
  {
    name: "duplicated attribute",
    comparable: true,
    apply: (t, r) => onRandomMatch(t, ATTRIBUTE, r, (a) => `${a} ${a}`),
  },
  { name: "removed attribute", comparable: true, apply: (t, r) => onRandomMatch(t, ATTRIBUTE, r, () => "") },
  {
    name: "emptied attribute",
    comparable: true,
    apply: (t, r) => onRandomMatch(t, ATTRIBUTE, r, (a) => `${a.slice(0, a.indexOf("="))}=""`),
  },
  { name: "whitespace in a value", comparable: true, apply: (t, r) => intoValue(t, r, r.pick(WHITESPACE)) },
  { name: "reference in a value", comparable: true, apply: (t, r) => intoValue(t, r, r.pick(REFERENCES)) },
  { name: "unicode in a value", comparable: true, apply: (t, r) => intoValue(t, r, r.pick(UNICODE)) },
  { name: "markup in a value", comparable: true, apply: (t, r) => intoValue(t, r, r.pick(MARKUP)) },
  {
    name: "markup anywhere",
    comparable: true,
    apply: (t, r) => {
      const at = r.int(t.length);
      return t.slice(0, at) + r.pick(MARKUP) + t.slice(at);
    },
  },
  {
    name: "text, comment or PI between tags",
    comparable: true,
    apply: (t, r) =>
      betweenTags(t, r, r.pick(["texto", " \n ", "<!-- c -->", "<?pi data?>", "<![CDATA[ x ]]>", "&amp;"])),
  },
  {
    name: "duplicated empty element",
    comparable: true,
    apply: (t, r) => onRandomMatch(t, EMPTY_ELEMENT, r, (e) => e + e),
  },
  {
    name: "removed empty element",
    comparable: true,
    apply: (t, r) => onRandomMatch(t, EMPTY_ELEMENT, r, () => ""),
  },
  {
    name: "deleted range",
    comparable: true,
    apply: (t, r) => {
      const at = r.int(t.length);
      return t.slice(0, at) + t.slice(at + 1 + r.int(200));
    },
  },
  {
    name: "spliced from another fixture",
    comparable: true,
    apply: (t, r) => {
      const other = r.pick(corpus).text;
      const from = r.int(other.length);
      const at = r.int(t.length);
      return t.slice(0, at) + other.slice(from, from + 1 + r.int(400)) + t.slice(at + r.int(100));
    },
  },
  {
    name: "renamed prefix",
    comparable: true,
    apply: (t, r) => {
      const prefix = r.pick(["cfdi", "tfd", "pago20", "pago10", "nomina12", "implocal"]);
      const renamed = r.pick(["x", "c", ""]);
      const elements = t.replaceAll(`${prefix}:`, renamed ? `${renamed}:` : "");
      // Half the time the declaration follows (still valid), else the prefix is left unbound.
      return r.int(2) === 0
        ? elements
        : elements.replaceAll(`xmlns:${prefix}=`, renamed ? `xmlns:${renamed}=` : "xmlns=");
    },
  },
  {
    name: "namespace swapped",
    comparable: true,
    apply: (t, r) =>
      r.int(2) === 0
        ? t.replace("http://www.sat.gob.mx/cfd/4", "http://www.sat.gob.mx/cfd/3")
        : t.replace("http://www.sat.gob.mx/TimbreFiscalDigital", "urn:other"),
  },
  {
    name: "generated markup soup",
    comparable: true,
    apply: (_, r) => {
      const tokens = [
        "<",
        ">",
        "/",
        "=",
        '"',
        "'",
        "a",
        "cfdi:Comprobante",
        "x:y",
        " ",
        "\n",
        "&",
        ";",
        "#x41",
        "amp",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<?",
        "?>",
        "xmlns",
        "xmlns:x",
        '="urn:x"',
        "ñ",
        "1",
      ];
      let out = r.int(2) === 0 ? "<a>" : "";
      for (let k = r.int(60); k > 0; k--) out += r.pick(tokens);
      return out + (r.int(2) === 0 ? "</a>" : "");
    },
  },
  {
    name: "generated random bytes",
    comparable: true,
    apply: (_, r) => Uint8Array.from({ length: r.int(300) }, () => r.int(256)),
  },
  {
    name: "injected DOCTYPE",
    comparable: false,
    apply: (t, r) => {
      const doctype = r.pick([
        "<!DOCTYPE r>",
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!ENTITY x "y">',
      ]);
      const at = r.int(2) === 0 ? t.indexOf("?>") + 2 : t.indexOf(">", r.int(t.length)) + 1;
      return t.slice(0, at) + doctype + t.slice(at);
    },
  },
  {
    name: "deep nesting",
    comparable: false,
    apply: (t, r) => {
      const depth = 1 + r.int(r.int(2) === 0 ? 80 : 5000);
      return betweenTags(t, r, "<n>".repeat(depth) + "</n>".repeat(depth));
    },
  },
  {
    name: "huge attribute value",
    comparable: false,
    apply: (t, r) =>
      onRandomMatch(
        t,
        ATTRIBUTE,
        r,
        (a) => `${a.slice(0, a.indexOf("="))}="${"A ".repeat(10 ** (2 + r.int(5)) / 2)}"`,
      ),
  },
  {
    name: "many attributes",
    comparable: false,
    apply: (t, r) => {
      const count = 1 + r.int(400);
      const extra = Array.from({ length: count }, (_, i) => ` z${i}="${i}"`).join("");
      return onRandomMatch(t, ATTRIBUTE, r, (a) => a + extra);
    },
  },
];

interface Outcome {
  /** "ok" (cadena computed), or the AppError code where parse or cadena stopped. */
  result: string;
  cadena?: string;
}

/** Run the engine on a mutant; anything but a documented AppError is rethrown as a finding. */
function runEngine(input: Mutant): Outcome {
  let cfdi: Cfdi;
  try {
    cfdi = parseCfdi(input);
  } catch (e) {
    if (e instanceof AppError && PARSE_CODES.includes(e.code) && (e.status === 400 || e.status === 422)) {
      return { result: e.code };
    }
    throw e;
  }
  const tfd = timbre(cfdi);
  if (tfd) expect(tfdCadena(tfd)).toMatch(/^\|\|.*\|\|$/s);
  try {
    return { result: "ok", cadena: cadenaOriginal(cfdi) };
  } catch (e) {
    if (e instanceof AppError && CADENA_CODES.includes(e.code)) return { result: e.code };
    throw e;
  }
}

function describeCase(i: number, fixture: string, mutation: string) {
  return `case ${i}: ${mutation} of ${fixture}`;
}

describe("mutation fuzzing", () => {
  it(`handles ${CASES} mutants of the fixtures with documented outcomes only`, () => {
    const rng = prng(0x7154_2026);
    const outcomes = new Map<string, number>();
    const findings: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const fixture = rng.pick(corpus);
      const mutation = rng.pick(MUTATIONS);
      const input = mutation.apply(fixture.text, rng);
      try {
        const { result } = runEngine(input);
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
      } catch (e) {
        if (findings.length < 5)
          findings.push(`${describeCase(i, fixture.rel, mutation.name)}: ${String(e)}`);
      }
    }
    expect(findings).toEqual([]);
    // The mutants reach every stage: some still parse into a cadena, the rest fail in varied ways.
    expect(outcomes.get("ok")).toBeGreaterThan(CASES / 10);
    for (const code of [
      "xml_malformed",
      "xml_doctype_forbidden",
      "xml_too_deep",
      "xml_too_many_attributes",
      "cfdi_not_comprobante",
    ]) {
      expect(outcomes.get(code), code).toBeGreaterThan(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------

const hasXsltproc = spawnSync("xsltproc", ["--version"]).status === 0;
const workDir = mkdtempSync(join(tmpdir(), "timbre-fuzz-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const XSLT_ROOT = fixturePath("xslt", "www.sat.gob.mx", "sitio_internet", "cfd");
const XSLT = {
  "4.0": join(XSLT_ROOT, "4", "cadenaoriginal_4_0", "cadenaoriginal_4_0.xslt"),
  "3.3": join(XSLT_ROOT, "3", "cadenaoriginal_3_3", "cadenaoriginal_3_3.xslt"),
};
// A document whose cadena is unmistakable, put between mutants so one xsltproc run can serve many.
const MARKER_XML = {
  "4.0": '<c:Comprobante xmlns:c="http://www.sat.gob.mx/cfd/4" Version="~MARKER~"/>',
  "3.3": '<c:Comprobante xmlns:c="http://www.sat.gob.mx/cfd/3" Version="~MARKER~"/>',
};

/**
 * xsltproc's output for each file, "" for those libxml2 could not parse: one process for all of
 * them (a few hundred spawns would take longer than the fuzzing itself).
 */
function xsltprocEach(version: "3.3" | "4.0", docs: Mutant[]): string[] {
  const stylesheet = XSLT[version];
  const marker = join(workDir, `marker-${version}.xml`);
  writeFileSync(marker, MARKER_XML[version]);
  const markerOutput = spawnSync("xsltproc", [stylesheet, marker], { encoding: "utf8" }).stdout;
  expect(markerOutput).toContain("~MARKER~");
  const args = [stylesheet];
  docs.forEach((doc, i) => {
    const file = join(workDir, `${version}-${i}.xml`);
    writeFileSync(file, doc);
    args.push(file, marker);
  });
  const run = spawnSync("xsltproc", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const outputs = run.stdout.split(markerOutput);
  expect(outputs).toHaveLength(docs.length + 1);
  return outputs.slice(0, docs.length);
}

describe.skipIf(!hasXsltproc)("differential fuzzing against libxml2 + SAT's XSLT", () => {
  it(`agrees with xsltproc on ${DIFFERENTIAL_CASES} comparable mutants`, () => {
    const rng = prng(0xcad3_0001);
    const comparable = MUTATIONS.filter((m) => m.comparable);
    const batches: Record<"3.3" | "4.0", { label: string; input: Mutant; ours: Outcome }[]> = {
      "3.3": [],
      "4.0": [],
    };
    for (let i = 0; i < DIFFERENTIAL_CASES; i++) {
      const fixture = rng.pick(corpus);
      const mutation = rng.pick(comparable);
      const input = mutation.apply(fixture.text, rng);
      const version = fixture.rel.startsWith("33/") ? "3.3" : "4.0";
      batches[version].push({
        label: describeCase(i, fixture.rel, mutation.name),
        input,
        ours: runEngine(input),
      });
    }

    const disagreements: string[] = [];
    let compared = 0;
    for (const version of ["3.3", "4.0"] as const) {
      const batch = batches[version];
      const theirs = xsltprocEach(
        version,
        batch.map((c) => c.input),
      );
      batch.forEach(({ label, ours }, k) => {
        const libxml2Parsed = theirs[k] !== "";
        const weRefusedXml = ours.result.startsWith("xml_");
        if (libxml2Parsed === weRefusedXml) {
          if (!(libxml2Parsed && ours.result === "xml_malformed" && namespaceError(batch[k]!.input))) {
            disagreements.push(
              `${label}: libxml2 ${libxml2Parsed ? "parsed" : "refused"} it, we said ${ours.result}`,
            );
          }
        } else if (ours.result === "ok") {
          compared++;
          if (ours.cadena !== theirs[k])
            disagreements.push(`${label}: cadena differs\n ours ${ours.cadena}\n xslt ${theirs[k]}`);
        }
      });
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(DIFFERENTIAL_CASES / 4);
  });
});

/** Namespace errors (undeclared prefix, bad QName) are only warnings for libxml2; we refuse them. */
function namespaceError(input: Mutant): boolean {
  try {
    parseCfdi(input);
  } catch (e) {
    return e instanceof AppError && /without declaring it|not a valid qualified name/.test(e.message);
  }
  return false;
}
