// The README's main job: `npm run demo` trains an MLP on real MNIST digits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
function demo(args: string[]) {
  const r = spawnSync(process.execPath, ['--import=tsx', path.join(root, 'examples', 'mnist.ts'), '--quiet', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`demo failed: ${r.stderr}`);
  return r.stdout;
}

test('the demo reaches at least 95% held-out accuracy and writes a loss curve and a checkpoint', (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'fluxion-demo-'));
  const log = demo(['--out', out]);
  const acc = Number(/held-out accuracy: ([\d.]+)%/.exec(log)?.[1]);
  t.log(log.trim().split('\n').slice(-2).join(' | '));
  t.true(acc >= 95, `accuracy ${acc}%`);
  t.true(readFileSync(path.join(out, 'loss.svg'), 'utf8').startsWith('<svg'));
  t.true(existsSync(path.join(out, 'mnist.safetensors')));
});

test('--resume continues from the checkpoint with losses identical to an uninterrupted run', (t) => {
  const small = ['--train', '1500', '--test', '500', '--seed', '7'];
  const straight = mkdtempSync(path.join(tmpdir(), 'fluxion-straight-'));
  demo([...small, '--epochs', '3', '--out', straight]);
  const resumed = mkdtempSync(path.join(tmpdir(), 'fluxion-resumed-'));
  demo([...small, '--epochs', '1', '--out', resumed]);
  demo([...small, '--epochs', '3', '--out', resumed, '--resume']);
  const a = JSON.parse(readFileSync(path.join(straight, 'losses.json'), 'utf8'));
  const b = JSON.parse(readFileSync(path.join(resumed, 'losses.json'), 'utf8'));
  t.is(a.length, 36);
  t.deepEqual(b, a);
});

test('--model cnn: the LeNet-style network reaches at least 98% held-out accuracy and writes its own curve and checkpoint', (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'fluxion-demo-cnn-'));
  const t0 = performance.now();
  const log = demo(['--model', 'cnn', '--out', out]);
  const seconds = (performance.now() - t0) / 1000;
  const acc = Number(/held-out accuracy: ([\d.]+)%/.exec(log)?.[1]);
  t.log(`${log.trim().split('\n').slice(-2).join(' | ')} (${seconds.toFixed(1)} s)`);
  t.regex(log, /Conv\(\[5, 5\], 1 => 16, relu, pad=2\), MaxPool\(\[2, 2\]\)/);
  t.true(acc >= 98, `accuracy ${acc}%`);
  t.true(readFileSync(path.join(out, 'loss-cnn.svg'), 'utf8').startsWith('<svg'));
  t.true(existsSync(path.join(out, 'mnist-cnn.safetensors')));
  t.is(JSON.parse(readFileSync(path.join(out, 'losses-cnn.json'), 'utf8')).length, 6 * 125);
});

test('--model cnn --resume continues the scheduled run with losses identical to an uninterrupted one', (t) => {
  const small = ['--model', 'cnn', '--train', '640', '--test', '200', '--seed', '5'];
  const straight = mkdtempSync(path.join(tmpdir(), 'fluxion-cnn-straight-'));
  demo([...small, '--epochs', '2', '--out', straight]);
  const resumed = mkdtempSync(path.join(tmpdir(), 'fluxion-cnn-resumed-'));
  demo([...small, '--epochs', '2', '--stop-after', '1', '--out', resumed]); // the rate schedule spans both epochs
  demo([...small, '--epochs', '2', '--out', resumed, '--resume']);
  const a = JSON.parse(readFileSync(path.join(straight, 'losses-cnn.json'), 'utf8'));
  const b = JSON.parse(readFileSync(path.join(resumed, 'losses-cnn.json'), 'utf8'));
  t.is(a.length, 20);
  t.deepEqual(b, a);
});

test('npm run demo:names, short form: the LSTM and the GPT both beat the bigram baseline held out, sample 10 names each and write their loss pictures', (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'fluxion-names-'));
  const r = spawnSync(process.execPath, ['--import=tsx', path.join(root, 'examples', 'names.ts'), '--quiet', '--epochs', '1', '--out', out], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`names demo failed: ${r.stderr}`);
  const log = r.stdout;
  t.log(log.trim().split('\n').slice(-6).join(' | '));
  const bigram = Number(/^ {2}bigram +([\d.]+)/m.exec(log)?.[1]);
  const vocab = Number(/vocabulary (\d+)/.exec(log)?.[1]);
  t.true(bigram > 2 && bigram < Math.log(vocab), `bigram ${bigram} nats/char`);
  for (const name of ['LSTM', 'GPT']) {
    const nats = Number(new RegExp(`^ {2}${name} +([\\d.]+)`, 'm').exec(log)?.[1]);
    t.true(nats < bigram - 0.1, `${name}: ${nats} nats/char against the bigram's ${bigram}`);
    const samples = new RegExp(`^${name} samples \\(\\d+ of 10 not in the training names\\): (.*)$`, 'm').exec(log)?.[1].split(', ') ?? [];
    t.is(samples.length, 10, `${name} samples`);
    t.true(samples.every((s) => /^[a-z-]*$/.test(s)), `${name} samples: ${samples.join(', ')}`);
    const file = path.join(out, `names-loss-${name.toLowerCase()}.svg`);
    t.true(readFileSync(file, 'utf8').startsWith('<svg'), file);
    t.true(JSON.parse(readFileSync(path.join(out, `names-losses-${name.toLowerCase()}.json`), 'utf8')).every(Number.isFinite));
  }
});
