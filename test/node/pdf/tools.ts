// Test-only access to the optional command-line oracles (qrencode, zbarimg, pdftotext, pdftoppm from
// Debian's qrencode, zbar-tools and poppler-utils): tests that need one skip when it is not installed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QrCode } from "../../../shared/pdf/qr";

export const hasTool = (name: string) => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;

export function run(command: string, args: string[], input?: Uint8Array | string): string {
  const result = spawnSync(command, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr.toString()}`);
  return result.stdout.toString("utf8");
}

export const tempDir = () => mkdtempSync(join(tmpdir(), "timbre-pdf-"));

/** The QR code as a binary PGM image (4 pixels per module, 4-module quiet zone), for zbarimg. */
export function qrImage(code: QrCode, dir: string, name = "qr.pgm"): string {
  const scale = 4;
  const side = (code.size + 8) * scale;
  const pixels = new Uint8Array(side * side).fill(255);
  for (let y = 0; y < code.size; y++) {
    for (let x = 0; x < code.size; x++) {
      if (!code.modules[y * code.size + x]) continue;
      for (let dy = 0; dy < scale; dy++) {
        pixels.fill(
          0,
          ((y + 4) * scale + dy) * side + (x + 4) * scale,
          ((y + 4) * scale + dy) * side + (x + 5) * scale,
        );
      }
    }
  }
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([Buffer.from(`P5 ${side} ${side} 255\n`), pixels]));
  return path;
}

/** What zbarimg reads from an image: one decoded payload per line. */
export const zbar = (path: string) =>
  run("zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path]).replace(/\n$/, "").split("\n");
