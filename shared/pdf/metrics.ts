/**
 * Font metrics and text encoding for the two standard fonts the PDF writer uses (Helvetica and
 * Helvetica-Bold, WinAnsiEncoding): every PDF reader has them, so nothing is embedded. Widths are the
 * fonts' advance widths in 1/1000 em for WinAnsi codes 32–255 (Adobe's AFM values; the
 * metric-compatible URW Nimbus Sans AFMs give the same numbers), 0 where WinAnsi has no glyph.
 */

export type FontName = "Helvetica" | "Helvetica-Bold";

// biome-ignore format: a table
const HELVETICA = [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500];

// biome-ignore format: a table
const HELVETICA_BOLD = [278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, 556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, 611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556];

const WIDTHS: Record<FontName, readonly number[]> = {
  Helvetica: HELVETICA,
  "Helvetica-Bold": HELVETICA_BOLD,
};

/** Unicode → WinAnsi for the code points of 0x80–0x9F (the rest of 0x20–0xFF is Latin-1 itself). */
const WIN_ANSI_HIGH = new Map<number, number>([
  [0x20ac, 128],
  [0x201a, 130],
  [0x192, 131],
  [0x201e, 132],
  [0x2026, 133],
  [0x2020, 134],
  [0x2021, 135],
  [0x2c6, 136],
  [0x2030, 137],
  [0x160, 138],
  [0x2039, 139],
  [0x152, 140],
  [0x17d, 142],
  [0x2018, 145],
  [0x2019, 146],
  [0x201c, 147],
  [0x201d, 148],
  [0x2022, 149],
  [0x2013, 150],
  [0x2014, 151],
  [0x2dc, 152],
  [0x2122, 153],
  [0x161, 154],
  [0x203a, 155],
  [0x153, 156],
  [0x17e, 158],
  [0x178, 159],
]);

/** Characters WinAnsi cannot carry are printed as this. */
const REPLACEMENT = 0x3f;

/** The WinAnsi code of a code point ("?" for what WinAnsi lacks; tabs and newlines as spaces). */
function winAnsiCode(cp: number): number {
  if ((cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return 0x20;
  return WIN_ANSI_HIGH.get(cp) ?? REPLACEMENT;
}

/** True when every character is printable ASCII or Latin-1, which WinAnsi writes as itself. */
function isPlainLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c > 0xff) return false;
  }
  return true;
}

/**
 * `text` in WinAnsi, one character per byte (its char code is the byte). NFC first, so that a vowel
 * followed by a combining accent becomes the one accented letter WinAnsi has; plain Latin-1 text
 * (nearly all of it) is already NFC and comes back as is.
 */
export function winAnsi(text: string): string {
  if (isPlainLatin1(text)) return text;
  let out = "";
  for (const ch of text.normalize("NFC")) out += String.fromCharCode(winAnsiCode(ch.codePointAt(0)!));
  return out;
}

/** Width in points of `text` set in `font` at `size`. */
export function textWidth(text: string, font: FontName, size: number): number {
  const widths = WIDTHS[font];
  const encoded = winAnsi(text);
  let units = 0;
  for (let i = 0; i < encoded.length; i++) units += widths[encoded.charCodeAt(i) - 32] ?? 0;
  return (units * size) / 1000;
}
