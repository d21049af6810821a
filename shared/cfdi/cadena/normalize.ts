/**
 * XPath's normalize-space(), which SAT's XSLT applies to every value: strip leading and trailing
 * XML whitespace (space, tab, CR, LF; not NBSP or other Unicode spaces) and collapse inner runs to
 * one space. Most values need nothing: one native regex test decides (measurably faster than a
 * charCodeAt loop on the short values of a cadena), and a value that only needs trimming is sliced
 * rather than rewritten.
 */
export function normalizeSpace(value: string): string {
  return NEEDS_WORK.test(value) ? normalize(value) : value;
}

const NEEDS_WORK = /^[ \t\n\r]|[ \t\n\r]$|[\t\n\r]| {2}/;
const XML_WHITESPACE_RUN = /[ \t\n\r]+/g;

const isXmlSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

function normalize(value: string): string {
  const n = value.length;
  let start = 0;
  while (start < n && isXmlSpace(value.charCodeAt(start))) start++;
  let end = n;
  while (end > start && isXmlSpace(value.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    // end - 1 is not whitespace, so i + 1 is still inside the trimmed value.
    if ((c === 32 && isXmlSpace(value.charCodeAt(i + 1))) || c === 9 || c === 10 || c === 13) {
      return value.slice(start, end).replace(XML_WHITESPACE_RUN, " ");
    }
  }
  return value.slice(start, end);
}
