// Memory over long runs of the names example's two models: 2,000 Adam steps each through
// train() must leave the memory outside the JS heap, the JS heap and the tensor bytes flat.
import test from 'ava';
import { CharGPT, CharLSTM } from '../../examples/names-models.js';
import { Adam, DataLoader, RNG, type Tensor, logitCrossEntropy, memory, setup, tensor, train } from '../../ts/index.js';
import { processMemory, settle } from '../helpers.js';

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
    train(loss, model, data, state, { epochs: 25, progress: false }); // 200 steps of warm-up
    await settle();
    const m0 = processMemory();
    const bytes0 = memory().cpu.bytes;
    let last = Number.NaN;
    train(loss, model, data, state, { epochs: 250, progress: false, callbacks: { onStep: (s) => void (last = s.loss) } }); // 2,000 steps
    await settle();
    const m1 = processMemory();
    const bytes1 = memory().cpu.bytes;
    const mb = (v: number) => (v / 2 ** 20).toFixed(1);
    t.log(`outside the JS heap ${mb(m0.outsideHeap)} → ${mb(m1.outsideHeap)} MB, JS heap used ${mb(m0.heapUsed)} → ${mb(m1.heapUsed)} MB, tensor bytes ${bytes0} → ${bytes1}`);
    t.true(m1.outsideHeap <= m0.outsideHeap * 1.05 + 4 * 2 ** 20, `memory outside the JS heap grew from ${m0.outsideHeap} to ${m1.outsideHeap}`);
    t.true(m1.heapUsed <= m0.heapUsed * 1.1 + 2 * 2 ** 20, `the JS heap grew from ${m0.heapUsed} to ${m1.heapUsed}`);
    t.true(Math.abs(bytes1 - bytes0) <= 64 * 1024, `tensor bytes ${bytes0} → ${bytes1}`);
    t.true(Number.isFinite(last));
  });
}
