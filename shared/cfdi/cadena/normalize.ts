/**
 * XPath's normalize-space(), which SAT's XSLT applies to every value: strip leading and trailing
 * XML whitespace (space, tab, CR, LF; not NBSP or other Unicode spaces) and collapse inner runs to
 * one space. Most values need nothing, so a single scan decides before anything is allocated.
 */
export function normalizeSpace(value: string): string {
  const n = value.length;
  let previousSpace = true;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 32) {
      if (previousSpace) return collapse(value);
      previousSpace = true;
    } else if (c === 9 || c === 10 || c === 13) {
      return collapse(value);
    } else {
      previousSpace = false;
    }
  }
  return previousSpace && n > 0 ? collapse(value) : value;
}

const XML_WHITESPACE_RUN = /[ \t\n\r]+/g;

function collapse(value: string): string {
  const collapsed = value.replace(XML_WHITESPACE_RUN, " ");
  const start = collapsed.charCodeAt(0) === 32 ? 1 : 0;
  const end = collapsed.length > start && collapsed.charCodeAt(collapsed.length - 1) === 32 ? -1 : undefined;
  return collapsed.slice(start, end);
}
