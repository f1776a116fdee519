// A worker thread that trains a small model with Fluxion and posts its per-step losses.
// workerData: { lib: path of the bundled library, seed, steps, batch, width, emulate? }
import { parentPort, workerData } from 'node:worker_threads';

const { lib, seed, steps, batch, width } = workerData;
const F = await import(lib);
const rng = new F.RNG(seed);
const model = F.Chain(F.Dense(width, 2 * width, F.relu, { rng }), F.Dense(2 * width, width, F.tanh, { rng }), F.Dense(width, 4, undefined, { rng }));
const X = F.randn([batch * 4, width], { rng });
const y = F.tensor(Array.from({ length: batch * 4 }, (_, i) => (i * 7 + seed) % 4), { dtype: 'int32' });
const opt = F.setup(new F.Adam(1e-2), model);
const losses = [];
const loader = new F.DataLoader([X, y], { batchSize: batch, shuffle: true, seed });
let step = 0;
while (step < steps) {
  F.train((m, xb, yb) => F.logitCrossEntropy(m(xb), yb), model, loader, opt, {
    epochs: 1,
    progress: false,
    callbacks: {
      onStep: (s) => {
        losses.push(s.loss);
        step++;
        parentPort?.postMessage({ progress: step });
        return step >= steps ? 'stop' : undefined;
      },
    },
  });
}
// a value that depends on every parameter, bit for bit
const checksum = F.collect(model).reduce((s, t) => s + Array.from(t.data()).reduce((a, v) => a + v * 1.000001, 0), 0);
parentPort?.postMessage({ losses, checksum });
