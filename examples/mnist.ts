// The main example (`npm run demo`): an MLP learns real handwritten digits; with
// `npm run demo -- --model cnn` a LeNet-style convolutional network does.
//   8,000 digits for training, 2,000 held out; prints progress and held-out accuracy;
//   writes a loss curve (SVG), a checkpoint, and resumes from it with --resume.
// Options: --model mlp|cnn (mlp)  --epochs N (mlp 8, cnn 6)  --batch N (mlp 128, cnn 64)
//          --lr X (mlp 1e-3; cnn 2e-3, cosine-decayed to 0)  --seed N (42)  --train N (8000)  --test N (2000)
//          --out DIR (examples/out)  --resume  --stop-after N (end after epoch N, as if interrupted)  --quiet
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Adam, Chain, Conv, DataLoader, Dense, Flatten, MaxPool, RNG, type Tensor, concat, loadState, logitCrossEntropy, lossCurveSvg, oneCold, relu, saveState, seed,
  schedules, setup, tidy, train,
} from '../ts/index.js';
import { loadMnist } from './mnist-data.js';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    seed: { type: 'string', default: '42' },
    train: { type: 'string', default: '8000' },
    test: { type: 'string', default: '2000' },
    out: { type: 'string', default: 'examples/out' },
    resume: { type: 'boolean', default: false },
    'stop-after': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});
const cnn = o.model === 'cnn';
if (!cnn && o.model !== 'mlp') throw new Error(`--model: expected mlp or cnn, got ${o.model}`);
const epochs = Number(o.epochs ?? (cnn ? 6 : 8));
const lr = Number(o.lr ?? (cnn ? 2e-3 : 1e-3));
const batchSize = Number(o.batch ?? (cnn ? 64 : 128));
const outDir = path.resolve(o.out as string);
mkdirSync(outDir, { recursive: true });
const ckpt = path.join(outDir, cnn ? 'mnist-cnn.safetensors' : 'mnist.safetensors');

const t0 = performance.now();
const digits = loadMnist({ train: Number(o.train), test: Number(o.test) });
// the CNN sees each digit as a 1-channel 28×28 image: [n, 1, 28, 28], batch first (NCHW)
const asImages = (d: typeof digits.train) => (cnn ? { x: d.x.reshape([-1, 1, 28, 28]), y: d.y } : d);
const data = { train: asImages(digits.train), test: asImages(digits.test) };
console.log(`MNIST: ${data.train.x.shape[0]} training digits, ${data.test.x.shape[0]} held out (${((performance.now() - t0) / 1000).toFixed(1)} s to load)`);

seed(Number(o.seed)); // weight initialisation
const model = cnn
  ? Chain(
      Conv([5, 5], 1, 16, relu, { pad: 2 }), // [n, 16, 28, 28]
      MaxPool([2, 2]), //                        [n, 16, 14, 14]
      Conv([5, 5], 16, 32, relu, { pad: 2 }), // [n, 32, 14, 14]
      MaxPool([2, 2]), //                        [n, 32, 7, 7]
      Flatten(), //                              [n, 1568]
      Dense(1568, 128, relu),
      Dense(128, 10),
    )
  : Chain(Dense(784, 512, relu), Dense(512, 512, relu), Dense(512, 10));
console.log(String(model));
const opt = setup(new Adam(lr), model);
const rng = new RNG(Number(o.seed)); // shuffling
const loader = new DataLoader([data.train.x, data.train.y], { batchSize, shuffle: true, rng });
const loss = (m: typeof model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y);
// in slices of 500 digits, each tidied: the CNN's im2col columns for all 2,000 at once would be 600 MB
const predict = (m: typeof model, x: Tensor) => {
  const parts: Tensor[] = [];
  for (let i = 0; i < x.shape[0]; i += 500) parts.push(tidy(() => oneCold(m(x.slice(0, i, Math.min(i + 500, x.shape[0]))))));
  return concat(parts);
};
const accuracy = (m: typeof model, d: { x: Tensor; y: Tensor }) => predict(m, d.x).eq(d.y).mean().item();

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

// the CNN's rate follows a cosine from --lr to 0 over the whole run (the last epochs settle)
const schedule = cnn ? schedules.cosine(lr, 0, epochs * loader.length) : undefined;
train(loss, model, loader, opt, {
  schedule,
  epochs: Math.max(0, Math.min(epochs, Number(o['stop-after'] ?? epochs)) - start),
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
const svg = cnn ? 'loss-cnn.svg' : 'loss.svg';
const title = cnn ? 'Fluxion: LeNet-style CNN on MNIST (Adam)' : 'Fluxion: MLP 784-512-512-10 on MNIST (Adam)';
writeFileSync(path.join(outDir, svg), lossCurveSvg(stepLosses, title));
writeFileSync(path.join(outDir, cnn ? 'losses-cnn.json' : 'losses.json'), JSON.stringify(stepLosses));
console.log(`held-out accuracy: ${(100 * acc).toFixed(2)}% on ${data.test.x.shape[0]} digits`);
console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, svg))} and ${path.relative(process.cwd(), ckpt)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
