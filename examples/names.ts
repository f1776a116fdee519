// The sequence example (`npm run demo:names`): two character-level language models learn
// English first names (makemore-style) from the same script, an LSTM and a small GPT
// (2 pre-norm blocks of causal multi-head attention + MLP, learned positions).
//   90% of the distinct names train, 10% are held out; prints held-out loss in nats per
//   character beside a bigram model counted in the same run, samples 10 new names from each
//   model, writes a loss picture per model.
// Options: --model lstm|gpt|both (both)  --epochs N (3)  --batch N (64)  --context N (16)
//          --lr X (3e-3, cosine-decayed)  --seed N (42)  --names N (all; fewer for a quick run)
//          --out DIR (examples/out)  --quiet
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Adam, DataLoader, RNG, type Tensor, logitCrossEntropy, lossCurveSvg, multinomial, schedules, seed, setup, softmax, tensor, tidy, train,
} from '../ts/index.js';
import { type NamesCorpus, SEPARATOR, loadNames, stream, windows } from './names-data.js';
import { CharGPT, CharLSTM } from './names-models.js';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'both' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    context: { type: 'string', default: '16' },
    lr: { type: 'string', default: '3e-3' },
    seed: { type: 'string', default: '42' },
    names: { type: 'string' },
    out: { type: 'string', default: 'examples/out' },
    quiet: { type: 'boolean', default: false },
  },
});
if (!['lstm', 'gpt', 'both'].includes(o.model as string)) throw new Error(`--model: expected lstm, gpt or both, got ${o.model}`);
const epochs = Number(o.epochs);
const batchSize = Number(o.batch);
const context = Number(o.context);
const lr = Number(o.lr);
const outDir = path.resolve(o.out as string);
mkdirSync(outDir, { recursive: true });

const t0 = performance.now();
const corpus = loadNames({ seed: Number(o.seed), limit: o.names === undefined ? undefined : Number(o.names) });
const V = corpus.vocab.length;
const trainIds = stream(corpus, corpus.train);
const heldIds = stream(corpus, corpus.heldOut);
// training windows overlap (every other start); held-out windows tile the stream once
const trainSet = windows(trainIds, context, 2);
const heldSet = windows(heldIds, context, context);
console.log(
  `names: ${corpus.train.length} training (${trainIds.length} characters), ${corpus.heldOut.length} held out (${heldIds.length}); ` +
    `vocabulary ${V} ('${SEPARATOR}' ends a name); ${trainSet.x.shape[0]} training windows of ${context}`,
);

// ---- the baseline: bigram counts with add-one smoothing, on the same held-out pairs ----
const counts = Array.from({ length: V }, () => new Float64Array(V).fill(1));
for (let i = 0; i + 1 < trainIds.length; i++) counts[trainIds[i]][trainIds[i + 1]]++;
const heldX = heldSet.x.data() as Int32Array;
const heldY = heldSet.y.data() as Int32Array;
let bigramNats = 0;
for (let i = 0; i < heldX.length; i++) {
  const row = counts[heldX[i]];
  bigramNats -= Math.log(row[heldY[i]] / row.reduce((a, b) => a + b, 0));
}
bigramNats /= heldX.length;
console.log(`bigram baseline: ${bigramNats.toFixed(3)} nats/char held out (uniform: ${Math.log(V).toFixed(3)})`);

type Model = ((ids: Tensor) => Tensor) & object;
const nextCharLoss = (m: Model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x).reshape([-1, V]), y.reshape([-1]));

/** Mean nats per character over the held-out windows, in tidied slices. */
function heldOutNats(m: Model): number {
  let total = 0;
  const n = heldSet.x.shape[0];
  for (let i = 0; i < n; i += 256) {
    const j = Math.min(n, i + 256);
    total += tidy(() => logitCrossEntropy(m(heldSet.x.slice(0, i, j)).reshape([-1, V]), heldSet.y.slice(0, i, j).reshape([-1]), { agg: 'sum' }).item());
  }
  return total / (n * context);
}

/** `count` names drawn one character at a time from the model's softmax, seeded. */
function sample(m: Model, corpus: NamesCorpus, count: number, rng: RNG, maxLength = 20): string[] {
  const rows = Array.from({ length: count }, () => [0]); // every name starts after the separator
  const done = new Array(count).fill(false);
  for (let step = 0; step < maxLength && done.includes(false); step++) {
    const next = tidy(() => {
      const L = Math.min(context, rows[0].length);
      const ids = tensor(rows.flatMap((r) => r.slice(-L)), { shape: [count, L], dtype: 'int32' });
      const probs = softmax(m(ids).get(null, L - 1), -1); // the last position's next-character distribution
      return Array.from(multinomial(probs, 1, { rng }).data());
    });
    next.forEach((c, i) => {
      rows[i].push(done[i] ? 0 : c);
      if (c === 0) done[i] = true;
    });
  }
  return rows.map((r) => corpus.decode(r.slice(1)).split(SEPARATOR)[0]);
}

const results: { name: string; nats: number; seconds: number; samples: string[] }[] = [];
const known = new Set(corpus.train);
for (const kind of o.model === 'both' ? ['lstm', 'gpt'] : [o.model as string]) {
  const tStart = performance.now();
  seed(Number(o.seed)); // weight initialisation
  const model: Model = kind === 'lstm' ? CharLSTM(V) : new CharGPT(V, context);
  console.log(`\n${kind === 'lstm' ? 'LSTM' : 'GPT'}: ${String(model)}`);
  const opt = setup(new Adam(lr), model);
  const loader = new DataLoader([trainSet.x, trainSet.y], { batchSize, shuffle: true, rng: new RNG(Number(o.seed)) });
  const losses: number[] = [];
  train(nextCharLoss, model, loader, opt, {
    epochs,
    schedule: schedules.cosine(lr, lr / 20, epochs * loader.length),
    progress: !o.quiet,
    callbacks: {
      onStep: (s) => {
        losses.push(s.loss);
      },
      onEpoch: (e) => {
        if (!o.quiet) console.log(`  epoch ${e.epoch}: held-out ${heldOutNats(model).toFixed(3)} nats/char`);
      },
    },
  });
  const nats = heldOutNats(model);
  const samples = sample(model, corpus, 10, new RNG(Number(o.seed) + 1));
  const seconds = (performance.now() - tStart) / 1000;
  results.push({ name: kind === 'lstm' ? 'LSTM' : 'GPT', nats, seconds, samples });
  const file = `names-loss-${kind}.svg`;
  writeFileSync(path.join(outDir, file), lossCurveSvg(losses, `Fluxion: character ${kind === 'lstm' ? 'LSTM' : 'GPT'} on first names (nats/char; bigram held out ${bigramNats.toFixed(2)})`));
  writeFileSync(path.join(outDir, `names-losses-${kind}.json`), JSON.stringify(losses));
  console.log(`${kind === 'lstm' ? 'LSTM' : 'GPT'}: ${losses.length} steps in ${seconds.toFixed(1)} s, wrote ${path.relative(process.cwd(), path.join(outDir, file))}`);
}

console.log('\nheld-out loss, nats per character (lower is better):');
console.log(`  bigram  ${bigramNats.toFixed(3)}`);
for (const r of results) console.log(`  ${r.name.padEnd(6)}  ${r.nats.toFixed(3)}  (${(bigramNats - r.nats).toFixed(3)} below the bigram)`);
for (const r of results) {
  const novel = r.samples.filter((s) => !known.has(s)).length;
  console.log(`${r.name} samples (${novel} of ${r.samples.length} not in the training names): ${r.samples.join(', ')}`);
}
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
