/**
 * In-memory search over a catalog's text, for the q= routes (unit keys, product keys). Built once per
 * isolate on first use: each column (keys, then texts) becomes one folded "\n"-joined string
 * (lowercase, accents stripped) with entry offsets, and each text column also a sorted vocabulary of
 * its words with the entries holding each word. A query finds entries where every query word starts a
 * word (binary search on the vocabulary, no scan); only when that yields fewer than `limit` entries
 * does it scan the folded text with `indexOf` for matches inside words. No per-entry objects: a
 * 52k-entry catalog costs its folded strings and a few typed arrays.
 */

const PUNCTUATION: Record<string, string> = { "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-" };

/** Lowercase without diacritics ("Camión" → "camion", "Piña" → "pina"), other non-Latin-1 → space. */
export const foldText = (text: string): string =>
  text
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[\u0100-\uffff]/g, (c) => PUNCTUATION[c] ?? " ");

/** Word characters of folded text: digits, letters and Latin-1 letters; anything else separates words. */
const WORD = /[0-9a-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]+/g;
const WORD_CHAR = new Uint8Array(256).map((_, c) =>
  new RegExp(WORD.source).test(String.fromCharCode(c)) ? 1 : 0,
);

export interface TextIndex {
  /**
   * Entries holding every word of `query` in their texts (or, for a one-word query, whose key starts
   * with it), best first: 0 the exact key, 1 keys starting with the query, 2 first texts starting
   * with it, 3 every word starting a word of the first text, 4 matches inside words of the first
   * text, 5 word starts in the other texts, 6 matches inside their words; ties by shorter first text,
   * then entry order. At most `limit` entry indexes.
   */
  search(query: string, limit: number): number[];
}

interface Column {
  text: string;
  /** offsets[i] is where entry i starts; offsets[count] is past the end. */
  offsets: Int32Array;
}

/** A column's vocabulary: the entries holding `words[i]` are postings[starts[i]] … postings[starts[i + 1] - 1]. */
interface Words {
  words: string[];
  starts: Int32Array;
  postings: Int32Array;
}

function column(joined: string, count: number): Column {
  const text = `${foldText(joined)}\n`;
  const offsets = new Int32Array(count + 1);
  let at = 0;
  for (let i = 1; i <= count; i++) {
    at = text.indexOf("\n", at) + 1;
    if (at === 0) throw new Error(`catalog column has fewer than ${count} entries`);
    offsets[i] = at;
  }
  if (at !== text.length) throw new Error(`catalog column has more than ${count} entries`);
  return { text, offsets };
}

function vocabulary({ text }: Column): Words {
  // A hand-written tokenizer: twice as fast as matchAll here, and this runs on the first search.
  const lists = new Map<string, number[]>();
  let entry = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 256 && WORD_CHAR[code] === 1) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      const word = text.slice(start, i);
      const list = lists.get(word);
      if (!list) lists.set(word, [entry]);
      else if (list[list.length - 1] !== entry) list.push(entry);
      start = -1;
    }
    if (code === 10) entry++;
  }
  const words = [...lists.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const starts = new Int32Array(words.length + 1);
  for (let i = 0; i < words.length; i++) starts[i + 1] = starts[i]! + lists.get(words[i]!)!.length;
  const postings = new Int32Array(starts[words.length]!);
  for (let i = 0; i < words.length; i++) postings.set(lists.get(words[i]!)!, starts[i]);
  return { words, starts, postings };
}

/** Calls `fn` for each entry of each word starting with `prefix` (an entry may come more than once). */
function withPrefix({ words, starts, postings }: Words, prefix: string, fn: (entry: number) => void) {
  let lo = 0;
  let hi = words.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (words[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < words.length && words[i]!.startsWith(prefix); i++)
    for (let p = starts[i]!; p < starts[i + 1]!; p++) fn(postings[p]!);
}

/** The entry whose line holds position `pos`. */
function entryAt({ offsets }: Column, pos: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const entryText = ({ text, offsets }: Column, entry: number) =>
  text.slice(offsets[entry]!, offsets[entry + 1]! - 1);

/** Query words beyond this many are ignored (per-entry word counters are bytes). */
const MAX_WORDS = 8;
/** Sort key packing: entry and first-text length below 2^20 each. */
const SHIFT = 2 ** 20;

/**
 * `columns()` returns the keys and then each text column, every one "\n"-joined with exactly `count`
 * entries in the same order (no "\n" inside values). Nothing runs until the first search.
 */
export function textIndex(
  count: number,
  columns: () => readonly [keys: string, ...texts: string[]],
): TextIndex {
  if (count >= SHIFT) throw new Error("catalog too large for the text index");
  let built: { keys: Column; texts: Column[]; vocabularies: Words[] } | undefined;
  // Per-entry scratch, reused across searches and reset after each: 1 + best rank (0: no match),
  // and how many query words start a word of the entry (any text / the first text).
  const best = new Uint8Array(count);
  const inAny = new Uint8Array(count);
  const inFirst = new Uint8Array(count);

  return {
    search(query, limit) {
      const q = foldText(query).trim();
      const words = (q.match(WORD) ?? []).slice(0, MAX_WORDS);
      if (words.length === 0 || limit <= 0) return [];
      if (!built) {
        const [keys, ...texts] = columns().map((joined) => column(joined, count)) as [Column, ...Column[]];
        built = { keys, texts, vocabularies: texts.map(vocabulary) };
      }
      const { keys, texts, vocabularies } = built;
      const first = texts[0]!;
      const touched: number[] = [];
      const note = (entry: number, rank: number) => {
        const known = best[entry]!;
        if (known === 0) touched.push(entry);
        if (known === 0 || rank + 1 < known) best[entry] = rank + 1;
      };

      if (words.length === 1 && words[0] === q) {
        for (let pos = keys.text.indexOf(q); pos >= 0; pos = keys.text.indexOf(q, pos + 1)) {
          const entry = entryAt(keys, pos);
          if (keys.offsets[entry] === pos)
            note(entry, keys.offsets[entry + 1]! - 1 - pos === q.length ? 0 : 1);
        }
      }

      // Word starts: an entry counts word j only if it counted words 0 … j-1.
      const candidates: number[] = [];
      words.forEach((word, j) => {
        vocabularies.forEach((vocabulary, c) => {
          withPrefix(vocabulary, word, (entry) => {
            if (c === 0 && inFirst[entry] === j) inFirst[entry] = j + 1;
            if (inAny[entry] === j) {
              inAny[entry] = j + 1;
              if (j === 0) candidates.push(entry);
            }
          });
        });
      });
      for (const entry of candidates) {
        if (inAny[entry] === words.length)
          note(
            entry,
            inFirst[entry] !== words.length ? 5 : first.text.startsWith(q, first.offsets[entry]!) ? 2 : 3,
          );
        inAny[entry] = 0;
        inFirst[entry] = 0;
      }

      // Inside words ("refacturación" for "facturacion"), only when word starts did not fill the page.
      if (touched.length < limit) {
        const anchor = words.reduce((a, b) => (b.length > a.length ? b : a));
        const others = words.filter((w) => w !== anchor);
        texts.forEach((col, c) => {
          for (let pos = col.text.indexOf(anchor); pos >= 0; ) {
            const entry = entryAt(col, pos);
            const end = col.offsets[entry + 1]!;
            if (others.every((w) => texts.some((t) => entryText(t, entry).includes(w))))
              note(entry, c === 0 ? 4 : 6);
            pos = col.text.indexOf(anchor, end);
          }
        });
      }

      // Rank, then shorter first text ("Kilogramo" before "Kilogramo por metro"), then entry order.
      const order = new Float64Array(touched.length);
      touched.forEach((entry, i) => {
        const length = first.offsets[entry + 1]! - first.offsets[entry]!;
        order[i] = (best[entry]! * SHIFT + Math.min(length, SHIFT - 1)) * SHIFT + entry;
        best[entry] = 0;
      });
      order.sort();
      return Array.from(order.subarray(0, limit), (key) => key % SHIFT);
    },
  };
}

/**
 * Binary search over fixed-width records sorted by their first `keyWidth` characters; the record's
 * index, or -1. Used for the columnar large catalogs (no parsing needed).
 */
export function findFixedWidth(records: string, width: number, keyWidth: number, key: string): number {
  if (key.length !== keyWidth) return -1;
  let lo = 0;
  let hi = records.length / width - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = records.slice(mid * width, mid * width + keyWidth);
    if (candidate === key) return mid;
    if (candidate < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
