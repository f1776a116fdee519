// Memory over long runs of the names example's two models: 2,000 Adam steps each through
// train() must leave the memory outside the JS heap, the JS heap and the tensor bytes flat.
import test from 'ava';
import { CharGPT, CharLSTM } from '../../examples/names-models.js';
import { Adam, DataLoader, RNG, type Tensor, logitCrossEntropy, setup, tensor, train } from '../../ts/index.js';
import { assertFlatMemory } from '../helpers.js';

const V = 28;
const CONTEXT = 16;

for (const [name, make] of [
  ['LSTM', (rng: RNG) => CharLSTM(V, { rng })],
  ['GPT', (rng: RNG) => new CharGPT(V, CONTEXT, { rng })],
] as const) {
  test.serial(`memory stays flat over 2,000 training steps of the names example's ${name}`, async (t) => {
    const rng = new RNG(4);
    const model = make(rng) as unknown as (x: Tensor) => Tensor;
    const state = setup(new Adam(1e-3), model);
    const ids = () => tensor(Array.from({ length: 32 * CONTEXT }, () => Math.floor(rng.nextFloat() * V)), { shape: [32, CONTEXT], dtype: 'int32' });
    const [x, y] = [ids(), ids()];
    const data = new DataLoader([x, y], { batchSize: 4, shuffle: true, seed: 1 }); // 8 steps per epoch
    const loss = (m: typeof model, a: Tensor, b: Tensor) => logitCrossEntropy(m(a).reshape([-1, V]), b.reshape([-1]));
    let last = Number.NaN;
    await assertFlatMemory(
      t,
      () => train(loss, model, data, state, { epochs: 25, progress: false }), // 200 steps of warm-up
      () => train(loss, model, data, state, { epochs: 125, progress: false, callbacks: { onStep: (s) => void (last = s.loss) } }), // 1,000 steps, twice
      64 * 1024,
    );
    t.true(Number.isFinite(last));
  });
}
