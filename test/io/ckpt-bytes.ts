// Byte surgery on checkpoint files, for the tests that feed loadState malformed ones: split a
// file into its header (text and object) and data, and put one back together.

export interface Parts {
  /** The header text as written (with its padding). */
  text: string;
  /** The parsed header. */
  header: Record<string, any>;
  /** The data bytes after the header. */
  data: Buffer;
}

export function parts(bytes: Buffer): Parts {
  const n = Number(bytes.readBigUInt64LE(0));
  const text = bytes.subarray(8, 8 + n).toString('utf8');
  return { text, header: JSON.parse(text), data: Buffer.from(bytes.subarray(8 + n)) };
}

/**
 * A checkpoint from a header (an object, serialised; or text, used as is) and data bytes.
 * `pad` pads the header with spaces to a multiple of 8 (as saveState does); `lengthDelta` is
 * added to the length field (to make it lie).
 */
export function build(header: Record<string, unknown> | string | Buffer, data: Buffer, opts: { pad?: boolean; lengthDelta?: number } = {}): Buffer {
  let head = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  if (opts.pad ?? typeof header !== 'string') head = Buffer.concat([head, Buffer.alloc((8 - (head.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length + (opts.lengthDelta ?? 0)));
  return Buffer.concat([len, head, data]);
}

/** The tensor entries of a header (without __metadata__), sorted by their offsets. */
export function tensorNames(header: Record<string, any>): string[] {
  return Object.keys(header)
    .filter((k) => k !== '__metadata__')
    .sort((a, b) => header[a].data_offsets[0] - header[b].data_offsets[0]);
}

/** A deep copy of a JSON value. */
export function copy<T>(x: T): T {
  return JSON.parse(JSON.stringify(x));
}

/**
 * The header and data with the entries re-laid out in the order of `names` (each taking its
 * bytes from `from`), so that the offsets tile the data again: for removing or adding entries.
 */
export function relayout(header: Record<string, any>, from: Buffer, names: string[], extra: Record<string, { entry: any; bytes: Buffer }> = {}): { header: Record<string, any>; data: Buffer } {
  const out: Record<string, any> = {};
  if (header.__metadata__ !== undefined) out.__metadata__ = header.__metadata__;
  const chunks: Buffer[] = [];
  let at = 0;
  for (const name of names) {
    const bytes = extra[name]?.bytes ?? from.subarray(header[name].data_offsets[0], header[name].data_offsets[1]);
    out[name] = { ...(extra[name]?.entry ?? header[name]), data_offsets: [at, at + bytes.length] };
    chunks.push(bytes);
    at += bytes.length;
  }
  return { header: out, data: Buffer.concat(chunks) };
}

/** A small seeded generator (mulberry32): integers in [0, n). */
export function seeded(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
