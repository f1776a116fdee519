// A loss curve as an SVG line chart, with no dependencies: what the demo writes after training
// (examples/out/loss.svg), and what a training script can write from `train`'s history.
import { ArgumentError, expected } from '../errors.js';

/**
 * Options of `lossCurveSvg`: the title, the size in pixels and the axes' labels.
 *
 * ```ts
 * const svg = lossCurveSvg([2.3, 1.1, 0.6], { title: 'MLP', width: 320, height: 180, xLabel: 'step', yLabel: 'loss' });
 * svg.includes('MLP');   // true
 * ```
 */
export interface LossCurveOptions {
  /** The chart's title (default 'training loss'). */
  title?: string;
  /** Size in pixels (default 640 × 360). */
  width?: number;
  height?: number;
  /** The axes' labels (default 'training step (N steps)' and 'loss'). */
  xLabel?: string;
  yLabel?: string;
}

/** Text safe inside an SVG element or attribute. */
function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

function size(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 160 || v > 10_000) throw expected('lossCurveSvg', name, 'an integer number of pixels in [160, 10000]', v);
  return v;
}

/**
 * An SVG line chart of `losses` (one value per step), from 0 (or the lowest loss, if below 0)
 * to the highest, with five labelled grid lines. A second argument that is a string is the title.
 * Losses must be finite: a NaN or infinite loss is an ArgumentError naming its step (the chart
 * would silently lose it).
 *
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const history = [2.3, 1.1, 0.6, 0.4];
 * writeFileSync('loss.svg', lossCurveSvg(history, { title: 'MNIST MLP' }));
 * ```
 */
export function lossCurveSvg(losses: readonly number[], opts: LossCurveOptions | string = {}): string {
  if (!Array.isArray(losses) && !ArrayBuffer.isView(losses)) throw expected('lossCurveSvg', 'losses', 'an array of numbers, one per step', losses);
  const values = Array.from(losses as ArrayLike<unknown>);
  if (values.length === 0) throw new ArgumentError('lossCurveSvg: expected at least one loss, got an empty list');
  let lo = 0;
  let hi = Number.NEGATIVE_INFINITY;
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw expected('lossCurveSvg', `losses[${i}]`, 'a finite number', v);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  });
  const o: LossCurveOptions = typeof opts === 'string' ? { title: opts } : opts;
  if (o === null || typeof o !== 'object') throw expected('lossCurveSvg', 'opts', 'a title or an options object { title, width, height, xLabel, yLabel }', opts);
  for (const k of ['title', 'xLabel', 'yLabel'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'string') throw expected('lossCurveSvg', `opts.${k}`, 'a string', o[k]);
  const w = size('opts.width', o.width, 640);
  const h = size('opts.height', o.height, 360);
  const pad = 48;
  const n = values.length as number;
  const nums = values as number[];
  const x = (i: number) => pad + ((w - 2 * pad) * i) / Math.max(1, n - 1);
  const y = (v: number) => h - pad - ((h - 2 * pad) * (v - lo)) / Math.max(1e-12, hi - lo);
  const points = nums.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const digits = hi - lo >= 10 ? 1 : hi - lo >= 0.1 ? 2 : 4;
  const title = escapeXml(o.title ?? 'training loss');
  const xLabel = escapeXml(o.xLabel ?? `training step (${n} step${n === 1 ? '' : 's'})`);
  const yLabel = escapeXml(o.yLabel ?? 'loss');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">
<rect width="${w}" height="${h}" fill="white"/>
<text x="${w / 2}" y="24" text-anchor="middle" font-size="15">${title}</text>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#444"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#444"/>
${ticks.map((v) => `<text x="${pad - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(digits)}</text><line x1="${pad}" y1="${y(v).toFixed(1)}" x2="${w - pad}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`).join('\n')}
<text x="${w / 2}" y="${h - 12}" text-anchor="middle">${xLabel}</text>
<text x="14" y="${h / 2}" text-anchor="middle" transform="rotate(-90 14 ${h / 2})">${yLabel}</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>
</svg>
`;
}
