// lossCurveSvg: the loss picture the demo writes, as a public helper.
import test from 'ava';
import { ArgumentError, lossCurveSvg } from '../../ts/index.js';

const points = (svg: string) =>
  (/points="([^"]*)"/.exec(svg) as RegExpExecArray)[1].split(' ').map((p) => p.split(',').map(Number));

test('one point per step, from the left edge to the right; the highest loss at the top, 0 at the bottom', (t) => {
  const svg = lossCurveSvg([2, 1, 0.5, 0], 'MLP');
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360"'));
  t.regex(svg, />MLP</);
  t.regex(svg, />training step \(4 steps\)</);
  const p = points(svg);
  t.deepEqual(p.map(([x]) => x), [48, 229.3, 410.7, 592]);
  t.deepEqual(p.map(([, y]) => y), [48, 180, 246, 312]);
  t.regex(svg, />2\.00<\/text>/); // the top grid line is labelled with the highest loss
  t.regex(svg, />0\.00<\/text>/);
});

test('options: size, labels; text is escaped; negative losses and one step are drawn', (t) => {
  const svg = lossCurveSvg([-1, 1], { title: 'a < b & "c"', width: 800, height: 400, xLabel: 'epoch', yLabel: 'log loss' });
  t.regex(svg, /width="800" height="400"/);
  t.regex(svg, />a &lt; b &amp; &quot;c&quot;</);
  t.regex(svg, />epoch</);
  t.regex(svg, />log loss</);
  t.deepEqual(points(svg).map(([, y]) => y), [352, 48]);
  t.is(points(lossCurveSvg([3])).length, 1);
  // long histories: no argument-count limit (Math.max(...losses) overflows the stack near 10^5)
  t.is(points(lossCurveSvg(Array.from({ length: 200_000 }, (_, i) => 1 / (i + 1)))).length, 200_000);
});

test('bad input is an ArgumentError saying what was expected', (t) => {
  t.throws(() => lossCurveSvg([]), { instanceOf: ArgumentError, message: /at least one loss/ });
  t.throws(() => lossCurveSvg([1, Number.NaN, 2]), { instanceOf: ArgumentError, message: /expected losses\[1\] to be a finite number, got the number NaN/ });
  t.throws(() => lossCurveSvg('1,2' as any), { instanceOf: ArgumentError, message: /expected losses to be an array of numbers/ });
  t.throws(() => lossCurveSvg([1], { width: 10 }), { instanceOf: ArgumentError, message: /expected opts\.width to be an integer number of pixels/ });
  t.throws(() => lossCurveSvg([1], { title: 5 as any }), { instanceOf: ArgumentError, message: /expected opts\.title to be a string/ });
});
