// What every data loader reads from its options the same way (batchSize, shuffle, partial,
// seed), and the generator of an epoch: the loaders that draw each epoch's order afresh from
// (seed, epoch) (the file and stream loaders; resuming needs nothing else) draw it alike.
import { expected } from '../errors.js';
import { RNG } from '../random.js';

export interface CommonLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  partial?: boolean;
  seed?: number;
}

/** An integer option ≥ min, `dflt` when absent. */
export function intOption(op: string, name: string, v: unknown, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || (v as number) < min) throw expected(op, name, min === 0 ? 'a non-negative integer' : 'a positive integer', v);
  return v as number;
}

/** A boolean option, `dflt` when absent. */
export function boolOption(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw expected(op, name, 'a boolean', v);
  return v;
}

/** The options object itself and its common fields, checked: batchSize 1, no shuffle, partial batches and seed 0 by default. */
export function loaderOptions(op: string, opts: unknown): Required<CommonLoaderOptions> {
  if (opts === null || typeof opts !== 'object') throw expected(op, 'options', 'an options object', opts);
  const o = opts as CommonLoaderOptions;
  return {
    batchSize: intOption(op, 'batchSize', o.batchSize, 1, 1),
    shuffle: boolOption(op, 'shuffle', o.shuffle, false),
    partial: boolOption(op, 'partial', o.partial, true),
    seed: intOption(op, 'seed', o.seed, 0, 0),
  };
}

/**
 * The generator of one part of an epoch: its counter starts at (epoch, part), so every epoch
 * (and every part of it: the file loader shuffles each window apart) draws its own stream,
 * the same on every run and every rank.
 */
export function epochRNG(seed: number, epoch: number, part = 0): RNG {
  const r = new RNG(seed);
  r.counter = (BigInt(epoch) << 48n) + (BigInt(part) << 24n);
  return r;
}
