/**
 * The `timbre` command line (Node only: it reads files; the engine it drives is the same
 * `shared/cfdi` code the API and the queue jobs run). `scripts/timbre.mjs` loads this file.
 *
 * Exit codes: 0 done (for `verify`: the document is valid), 1 the document is invalid or could not
 * be processed (the stable error code is printed on stderr), 2 usage error (bad command, option or
 * unreadable file).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isAppError } from "../errors";

export const USAGE = `Usage: timbre cfdi <command> [options] <file>

Commands:
  inspect <file.xml>    Print a JSON summary: uuid, type, parties, amounts, taxes, concepts, payments
  cadena <file.xml>     Print the cadena original (exactly the bytes the Sello signs, no newline)
  verify <file.xml>     Verify Sello, certificate and stamp, and validate SAT's rules; print both
                        reports as JSON; exit 0 when the document is valid, 1 when it is not
  build --csd <dir | file.cer,file.key> --password <password> <invoice.json>
                        Build a CFDI 4.0 from an invoice JSON, seal it with the CSD, print the XML

Options:
  --csd <path>            A folder holding one .cer and one .key, or the two files separated by a comma
  --password <p>          Password of the .key (or --password-file <file>, or env TIMBRE_CSD_PASSWORD)
  --now <ISO date-time>   Reference time (default: now): the default Fecha and CSD validity for build,
                          the "dated in the future" rule for verify
  -h, --help              Show this help

A file of "-" is read from standard input.`;

class UsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface Options {
  csd?: string[];
  password?: string;
  "password-file"?: string;
  now?: string;
  help?: boolean;
}

function readInput(path: string): Uint8Array {
  try {
    return path === "-" ? readFileSync(0) : readFileSync(path);
  } catch (error) {
    throw new UsageError("file_unreadable", `Cannot read ${path}: ${(error as Error).message}`);
  }
}

function oneFile(positionals: string[], command: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(
      "usage",
      `"timbre cfdi ${command}" takes exactly one file, got ${positionals.length}`,
    );
  }
  return positionals[0]!;
}

function referenceTime(now: string | undefined): Date | undefined {
  if (now === undefined) return undefined;
  const time = new Date(now);
  if (Number.isNaN(time.getTime())) throw new UsageError("usage", `--now "${now}" is not an ISO date-time`);
  return time;
}

/** The .cer and .key named by --csd (a folder, or files, comma-separated or repeated). */
function csdFiles(specs: string[] | undefined): { cer: string; key: string } {
  if (!specs?.length) throw new UsageError("usage", "build needs --csd <folder | file.cer,file.key>");
  const files: string[] = [];
  for (const spec of specs.flatMap((s) => s.split(","))) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(spec).isDirectory();
    } catch (error) {
      throw new UsageError("file_unreadable", `Cannot read --csd ${spec}: ${(error as Error).message}`);
    }
    if (isDirectory) files.push(...readdirSync(spec).map((name) => join(spec, name)));
    else files.push(spec);
  }
  const cer = files.filter((f) => f.toLowerCase().endsWith(".cer"));
  const key = files.filter((f) => f.toLowerCase().endsWith(".key"));
  if (cer.length !== 1 || key.length !== 1) {
    throw new UsageError(
      "usage",
      `--csd must name exactly one .cer and one .key file; found ${cer.length} .cer and ${key.length} .key`,
    );
  }
  return { cer: cer[0]!, key: key[0]! };
}

function csdPassword(options: Options): string {
  if (options.password !== undefined) return options.password;
  if (options["password-file"] !== undefined) {
    return new TextDecoder().decode(readInput(options["password-file"])).replace(/\r?\n$/, "");
  }
  const fromEnv = process.env.TIMBRE_CSD_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  throw new UsageError(
    "usage",
    "build needs the .key password: --password, --password-file or TIMBRE_CSD_PASSWORD",
  );
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function inspect(file: string): Promise<number> {
  const { parseCfdi } = await import("../cfdi/parse");
  const { summarizeCfdi } = await import("./inspect");
  process.stdout.write(json(summarizeCfdi(parseCfdi(readInput(file)))));
  return 0;
}

async function cadena(file: string): Promise<number> {
  const { parseCfdi } = await import("../cfdi/parse");
  const { cadenaOriginal } = await import("../cfdi/cadena");
  process.stdout.write(cadenaOriginal(parseCfdi(readInput(file))));
  return 0;
}

async function verify(file: string, now: Date | undefined): Promise<number> {
  const { parseCfdi } = await import("../cfdi/parse");
  const { verifyCfdi } = await import("../cfdi/verify");
  const { validateCfdi } = await import("../cfdi/validate");
  const cfdi = parseCfdi(readInput(file));
  const verification = await verifyCfdi(cfdi);
  const validation = validateCfdi(cfdi, now ? { now } : {});
  const valid = verification.valid && validation.valid;
  process.stdout.write(json({ valid, verification, validation }));
  return valid ? 0 : 1;
}

async function build(file: string, options: Options, now: Date | undefined): Promise<number> {
  const { cer, key } = csdFiles(options.csd);
  const password = csdPassword(options);
  let input: unknown;
  try {
    input = JSON.parse(new TextDecoder().decode(readInput(file)));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError("invoice_json_malformed", `${file} is not JSON: ${(error as Error).message}`);
  }
  const { loadCsd } = await import("../cfdi/csd");
  const { buildCfdi } = await import("../cfdi/build");
  const csd = await loadCsd({ cer: readInput(cer), key: readInput(key), password }, now ? { now } : {});
  const sealed = await buildCfdi(input, now ? { csd, now } : { csd });
  process.stdout.write(sealed.xml);
  return 0;
}

function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`timbre: ${error.code}: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (isAppError(error)) {
    let text = `timbre: ${error.code}: ${error.message}\n`;
    if (Array.isArray(error.details)) {
      for (const issue of error.details as Array<{ path?: string; message?: string }>) {
        text += `  - ${issue.path ? `${issue.path}: ` : ""}${issue.message ?? JSON.stringify(issue)}\n`;
      }
    }
    process.stderr.write(text);
    return 1;
  }
  process.stderr.write(
    `timbre: internal_error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}

/** Runs the CLI with the arguments after the program name; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        csd: { type: "string", multiple: true },
        password: { type: "string" },
        "password-file": { type: "string" },
        now: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    const options = values as Options;
    if (options.help || positionals.length === 0) {
      (options.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
      return options.help ? 0 : 2;
    }
    const [group, command, ...rest] = positionals;
    if (group !== "cfdi")
      throw new UsageError("usage", `Unknown command "${group}"; the commands are under "timbre cfdi"`);
    const now = referenceTime(options.now);
    switch (command) {
      case "inspect":
        return await inspect(oneFile(rest, command));
      case "cadena":
        return await cadena(oneFile(rest, command));
      case "verify":
        return await verify(oneFile(rest, command), now);
      case "build":
        return await build(oneFile(rest, command), options, now);
      default:
        throw new UsageError(
          "usage",
          command ? `Unknown command "cfdi ${command}"` : "Missing the cfdi command",
        );
    }
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      return reportError(new UsageError("usage", (error as Error).message));
    }
    return reportError(error);
  }
}
