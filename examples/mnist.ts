// The main example (`npm run demo`): an MLP learns real handwritten digits.
//   8,000 digits for training, 2,000 held out; prints progress and held-out accuracy;
//   writes a loss curve (SVG), a checkpoint, and resumes from it with --resume.
// Options: --epochs N (default 8)  --batch N (128)  --lr X (1e-3)  --seed N (42)
//          --train N (8000)  --test N (2000)  --out DIR (examples/out)  --resume  --quiet
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Adam, Chain, DataLoader, Dense, RNG, type Tensor, loadState, logitCrossEntropy, oneCold, relu, saveState, seed, setup, train,
} from '../ts/index.js';
import { loadMnist } from './mnist-data.js';
import { lossCurveSvg } from './svg.js';

const { values: o } = parseArgs({
  options: {
    epochs: { type: 'string', default: '8' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '42' },
    train: { type: 'string', default: '8000' },
    test: { type: 'string', default: '2000' },
    out: { type: 'string', default: 'examples/out' },
    resume: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});
const epochs = Number(o.epochs);
const outDir = path.resolve(o.out as string);
mkdirSync(outDir, { recursive: true });
const ckpt = path.join(outDir, 'mnist.safetensors');

const t0 = performance.now();
const data = loadMnist({ train: Number(o.train), test: Number(o.test) });
console.log(`MNIST: ${data.train.x.shape[0]} training digits, ${data.test.x.shape[0]} held out (${((performance.now() - t0) / 1000).toFixed(1)} s to load)`);

seed(Number(o.seed)); // weight initialisation
const model = Chain(Dense(784, 512, relu), Dense(512, 512, relu), Dense(512, 10));
console.log(model);
const opt = setup(new Adam(Number(o.lr)), model);
const rng = new RNG(Number(o.seed)); // shuffling
const loader = new DataLoader([data.train.x, data.train.y], { batchSize: Number(o.batch), shuffle: true, rng });
const loss = (m: typeof model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y);
const accuracy = (m: typeof model, d: { x: Tensor; y: Tensor }) => oneCold(m(d.x)).eq(d.y).mean().item();

let start = 0;
let stepLosses: number[] = [];
if (o.resume) {
  if (!existsSync(ckpt)) throw new Error(`--resume: no checkpoint at ${ckpt}`);
  const { extra } = loadState(ckpt, model, opt) as { extra: { epoch: number; rng: RNG['state']; losses: number[] } };
  start = extra.epoch;
  rng.state = extra.rng;
  stepLosses = extra.losses;
  console.log(`resumed from ${ckpt} after epoch ${start}`);
}

train(loss, model, loader, opt, {
  epochs: Math.max(0, epochs - start),
  startEpoch: start,
  progress: !o.quiet,
  callbacks: {
    onStep: (s) => {
      stepLosses.push(s.loss);
    },
    onEpoch: (e) => {
      saveState(ckpt, model, opt, { epoch: e.epoch, rng: rng.state, losses: stepLosses });
      if (!o.quiet) console.log(`  held-out accuracy ${(100 * accuracy(model, data.test)).toFixed(2)}%`);
    },
  },
});

const acc = accuracy(model, data.test);
writeFileSync(path.join(outDir, 'loss.svg'), lossCurveSvg(stepLosses, 'Fluxion: MLP 784-512-512-10 on MNIST (Adam)'));
writeFileSync(path.join(outDir, 'losses.json'), JSON.stringify(stepLosses));
console.log(`held-out accuracy: ${(100 * acc).toFixed(2)}% on ${data.test.x.shape[0]} digits`);
console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'loss.svg'))} and ${path.relative(process.cwd(), ckpt)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
