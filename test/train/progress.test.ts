import test from 'ava';
import { Progress } from '../../ts/train/progress.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream, chunks };
}

test('on a terminal: a bar redrawn in place with loss and throughput, then the epoch line', (t) => {
  const { stream, chunks } = fakeStream(true);
  const p = new Progress(stream);
  p.startEpoch(1, 3, 4);
  for (let s = 1; s <= 4; s++) p.step(s, 0.5 / s, 1000);
  p.endEpoch(0.3, 0.25, 512);
  const out = chunks.join('');
  t.regex(out, /\repoch 1\/3 \[=+ *\] 4\/4 {2}loss 0\.1250 {2}1000 samples\/s/);
  t.true(out.endsWith('\repoch 1/3  loss 0.3000  0.25 s  2048 samples/s\u001b[K\n'));
});

test('in a log (not a terminal): one plain line per epoch, no control characters', (t) => {
  const { stream, chunks } = fakeStream(false);
  const p = new Progress(stream);
  p.startEpoch(2, 3, 4);
  for (let s = 1; s <= 4; s++) p.step(s, 0.5, 1000);
  p.endEpoch(0.5, 1, 100);
  t.deepEqual(chunks, ['epoch 2/3  loss 0.5000  1.00 s  100 samples/s\n']);
});
