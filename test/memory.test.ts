// Memory: CPU storage is reclaimed by the garbage collector without help (long loops of
// ops and of gradients stay flat); dispose() releases a tensor at once and later use
// throws; tidy(fn) disposes what fn created except what it returns (or a tape still needs).
import test from 'ava';
import { FluxionError, RNG, type Tensor, customRule, dispose, emptyCache, gradient, memory, params, randn, tensor, tidy, zeros } from '../ts/index.js';
import { close, settle } from './helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;

function snapshot() {
  const { bytes, pooledBytes } = memory().cpu;
  return { bytes, pooledBytes, arrayBuffers: process.memoryUsage().arrayBuffers };
}

const KB = 1024;
const T = (v: number[]) => tensor(v, { dtype: 'float64' });
const rng = new RNG(11);

// Sizes chosen so that each op allocates its own ArrayBuffer (> 1 KB) as well as slab memory.
const a = randn([64, 64], { rng }); // 16 KB
const b = randn([64], { rng });
function someOps(): number {
  const y = a.mul(b).add(1).tanh(); // broadcast, three fresh 16 KB buffers
  const z = y.matmul(a.T).sum(1).softmax(); // a GEMM and small results
  return z.max().item();
}

const W1 = randn([32, 16], { rng }).mul(0.3);
const b1 = randn([32], { rng }).mul(0.1);
const W2 = randn([4, 32], { rng }).mul(0.3);
const xb = randn([24, 16], { rng });
const yb = randn([24, 4], { rng });
const ps = params(W1, b1, W2);
const mlpLoss = () => xb.matmul(W1.T).add(b1).relu().matmul(W2.T).sub(yb).pow(2).mean();

test.serial('the memory counters follow allocation and collection', async (t) => {
  if (!gc) return t.pass('needs --expose-gc');
  await settle();
  const before = snapshot();
  let big: Tensor | null = zeros([1 << 18]); // 1 MB
  const during = snapshot();
  t.true(during.bytes - before.bytes >= 1 << 20);
  t.is(during.pooledBytes, before.pooledBytes); // nothing was disposed
  t.true(during.arrayBuffers - before.arrayBuffers >= 1 << 20);
  t.is(big.size, 1 << 18);
  big = null;
  await settle();
  const after = snapshot();
  t.true(after.bytes - before.bytes < 64 * KB, `bytes ${before.bytes} -> ${after.bytes}`);
  t.true(after.arrayBuffers - before.arrayBuffers < 64 * KB);
});

test.serial('10,000 iterations of ops: storage is reclaimed by the GC without help', async (t) => {
  if (!gc) return t.pass('needs --expose-gc');
  for (let i = 0; i < 200; i++) someOps(); // warm-up
  await settle();
  const base = snapshot();
  let acc = 0;
  for (let i = 0; i < 10_000; i++) acc += someOps(); // ~50 KB per iteration, ~500 MB in all
  t.true(Number.isFinite(acc));
  await settle();
  const end = snapshot();
  const msg = `before ${JSON.stringify(base)}, after ${JSON.stringify(end)}`;
  t.true(Math.abs(end.bytes - base.bytes) <= 256 * KB, msg);
  t.true(Math.abs(end.arrayBuffers - base.arrayBuffers) <= 512 * KB, msg);
});

test.serial('2,000 gradients of an MLP loss: tapes and saved tensors are reclaimed', async (t) => {
  if (!gc) return t.pass('needs --expose-gc');
  for (let i = 0; i < 50; i++) gradient(mlpLoss, ps);
  await settle();
  const base = snapshot();
  let first = 0;
  let last = 0;
  for (let i = 0; i < 2_000; i++) {
    const gs = gradient(mlpLoss, ps);
    const gw = gs.get(W1) as Tensor;
    if (i === 0) first = gw.sum().item();
    last = gw.sum().item();
  }
  t.is(first, last); // same parameters, same answer every time
  await settle();
  const end = snapshot();
  const msg = `before ${JSON.stringify(base)}, after ${JSON.stringify(end)}`;
  t.true(Math.abs(end.bytes - base.bytes) <= 256 * KB, msg);
  t.true(Math.abs(end.arrayBuffers - base.arrayBuffers) <= 512 * KB, msg);
});

test.serial('second-order gradients in a loop are reclaimed too', async (t) => {
  if (!gc) return t.pass('needs --expose-gc');
  const x = randn([256], { rng, dtype: 'float64' });
  const step = () => gradient((v: Tensor) => (gradient((u: Tensor) => u.sin().mul(u).sum(), v)[0] as Tensor).sum(), x);
  for (let i = 0; i < 20; i++) step();
  await settle();
  const base = snapshot();
  for (let i = 0; i < 500; i++) step();
  await settle();
  const end = snapshot();
  t.true(Math.abs(end.bytes - base.bytes) <= 256 * KB, `before ${JSON.stringify(base)}, after ${JSON.stringify(end)}`);
});

test('dispose makes later use throw a clear error', (t) => {
  const x = tensor([1, 2]);
  const view = tensor([[1, 2], [3, 4]]);
  const row = view.get(0);
  x.dispose();
  view.dispose();
  t.true(x.disposed);
  t.true(row.disposed); // a view of a disposed tensor is disposed
  t.throws(() => x.add(1), { instanceOf: FluxionError, message: 'add: the tensor of shape [2] was disposed' });
  t.throws(() => x.data(), { message: 'data: the tensor of shape [2] was disposed' });
  t.throws(() => x.item(), { message: /^item: the tensor of shape \[2\] was disposed/ });
  t.throws(() => x.toArray(), { message: /was disposed/ });
  t.throws(() => x.sum(), { message: /^sum: the tensor of shape \[2\] was disposed/ });
  t.throws(() => tensor([1, 1]).mul(x), { message: /^mul: .*disposed/ });
  t.throws(() => row.exp(), { message: /^exp: the tensor of shape \[2\] was disposed/ });
  t.throws(() => gradient((v: Tensor) => v.sum(), x), { message: /^gradient: the tensor of shape \[2\] was disposed/ });
  t.throws(() => gradient(() => x.sum(), params(x)), { message: /^gradient: .*disposed/ });
  t.is(String(x), 'Tensor<float32>[2] (disposed)');
  t.notThrows(() => x.dispose()); // twice is fine
});

test('dispose(tree) disposes every tensor in arrays and objects; [Symbol.dispose] works', (t) => {
  const tree = { w: tensor([1]), layers: [tensor([2]), { b: tensor([3]) }], name: 'x' };
  dispose(tree);
  t.true(tree.w.disposed);
  t.true((tree.layers[0] as Tensor).disposed);
  t.true((tree.layers[1] as { b: Tensor }).b.disposed);
  const y = tensor([4]);
  y[Symbol.dispose]();
  t.true(y.disposed);
});

test('tidy disposes intermediates and keeps the returned tensor', (t) => {
  const x = tensor([1, 2, 3]);
  const inner: Tensor[] = [];
  const out = tidy(() => {
    const a = x.mul(2);
    const b2 = a.add(1);
    inner.push(a, b2);
    return b2.exp();
  });
  close(t, out, [3, 5, 7].map(Math.exp), { rtol: 1e-6 });
  t.false(out.disposed);
  t.true(inner.every((v) => v.disposed));
  t.false(x.disposed); // created outside the scope
});

test('tidy keeps tensors reachable from arrays, objects, and Grads', (t) => {
  const x = tensor([1, 2]);
  let scratch: Tensor | null = null;
  const [p, q] = tidy(() => {
    scratch = x.add(1);
    return [scratch.mul(2), { deep: [scratch.mul(3)] }] as const;
  });
  close(t, p, [4, 6]);
  close(t, q.deep[0], [6, 9]);
  t.true((scratch as unknown as Tensor).disposed);
  const w = tensor([3]);
  const gs = tidy(() => gradient(() => w.pow(2).sum(), params(w)));
  close(t, gs.get(w), [6]);
  t.false(w.disposed);
});

test('tidy keeps a returned view and the tensor it views', (t) => {
  const m = tidy(() => tensor([[1, 2], [3, 4]]).mul(10).get(1));
  close(t, m, [30, 40]);
  t.false(m.disposed);
});

test('tidy scopes nest: the inner result belongs to the outer scope', (t) => {
  let innerResult: Tensor | null = null;
  const param = tensor([1]);
  const out = tidy(() => {
    innerResult = tidy(() => tensor([5]).add(1));
    const passThrough = tidy(() => param); // made outside every scope: never disposed
    t.false((innerResult as Tensor).disposed);
    return passThrough.add(innerResult as Tensor);
  });
  close(t, out, [7]);
  t.true((innerResult as unknown as Tensor).disposed); // the outer scope did not return it
  t.false(param.disposed);
});

test('tidy inside a gradient keeps what the backward pass needs', (t) => {
  const W = randn([4, 3], { rng, dtype: 'float64' });
  const x = randn([5, 4], { rng, dtype: 'float64' });
  const ps = params(W);
  const plain = gradient(() => x.matmul(W).tanh().mul(2).sum(), ps).get(W) as Tensor;
  const inner: Tensor[] = [];
  const scoped = gradient(
    () =>
      tidy(() => {
        const h = x.matmul(W);
        const scratch = x.mul(0).add(1); // untracked: no tape needs it, so it is disposed
        inner.push(scratch);
        return h.tanh().mul(2).sum();
      }),
    ps,
  ).get(W) as Tensor;
  close(t, scoped, plain, { atol: 1e-12 });
  t.true(inner[0].disposed);
  // the same with the loss computed outside the scope, and in a second-order gradient
  const outside = gradient(() => tidy(() => x.matmul(W).tanh()).mul(2).sum(), ps).get(W);
  close(t, outside, plain, { atol: 1e-12 });
  const [g2] = gradient((v: Tensor) => (gradient((u: Tensor) => tidy(() => u.pow(3).sum()), v)[0] as Tensor).sum(), T([1, 2]));
  close(t, g2, [6, 12]);
});

test('tidy: an exception propagates and leaves later code unaffected', (t) => {
  t.throws(
    () =>
      tidy(() => {
        tensor([1]).add(1);
        throw new Error('boom');
      }),
    { message: 'boom' },
  );
  const z = tensor([2]).mul(2);
  close(t, tidy(() => z.add(1)), [5]);
  t.false(z.disposed);
});

test.serial('tidy releases storage even when the intermediates are still referenced', async (t) => {
  if (!gc) return t.pass('needs --expose-gc');
  const leaked: Tensor[] = [];
  const round = () =>
    tidy(() => {
      for (let i = 0; i < 64; i++) leaked.push(randn([4096], { rng }).mul(2)); // 2 x 16 KB each
      return null;
    });
  round();
  await settle();
  const base = snapshot();
  for (let r = 0; r < 20; r++) round(); // 40 MB if the storage stayed reachable
  await settle();
  const end = snapshot();
  t.is(leaked.length, 21 * 64);
  t.true(leaked.every((v) => v.disposed));
  // Disposed storage goes back to the GC (or to a reuse pool, which then serves the next round).
  t.true(end.bytes - base.bytes <= 4 * 2 ** 20, `before ${JSON.stringify(base)}, after ${JSON.stringify(end)}`);
});

test('a view of a disposed tensor refuses to be read instead of showing reused storage', async (t) => {
  const { tensor: mk } = await import('../ts/index.js');
  const root = mk([[1, 2], [3, 4]]).mul(1);
  const view = root.T;
  root.dispose();
  for (let i = 0; i < 10; i++) mk([[9, 9], [9, 9]]).mul(1); // same-size allocations
  t.throws(() => view.toArray(), { message: /toArray: the tensor of shape \[2, 2\] was disposed/ });
  t.throws(() => view.add(1), { message: /was disposed/ });
});

test.serial('gradient releases its backward temporaries at once; the gradients it returns stay whole', (t) => {
  emptyCache();
  const r = new RNG(3);
  const W = randn([64, 64], { rng: r });
  const v = randn([4096], { rng: r });
  const x = randn([128, 64], { rng: r });
  // the cotangents of the intermediates (tanh, matmul, the reshape) are released into the pool
  const loss = (w: Tensor, u: Tensor) => x.matmul(w).tanh().mul(2).add(1).sin().mul(u.reshape([64, 64]).sum(0)).sum();
  const [gw, gu] = gradient(loss, W, v) as Tensor[];
  t.true(memory().cpu.pooledBytes > 0);
  // gu is a view (reshape back of the sum's gradient) of a buffer made in the pass: still readable
  t.deepEqual(gu.shape, [4096]);
  const again = gradient(loss, W, v) as Tensor[];
  t.deepEqual(Array.from(gw.data()), Array.from(again[0].data()));
  t.deepEqual(Array.from(gu.data()), Array.from(again[1].data()));
  // a user's backward rule may keep the cotangent it was given: nothing is released then
  let kept: Tensor | null = null;
  const keep = customRule('keep', (a: Tensor) => a.mul(1), (g: Tensor) => {
    kept = g;
    return [g.mul(1)];
  });
  emptyCache();
  gradient((w: Tensor) => keep(x.matmul(w).tanh().mul(2).add(1).sin().cos().exp()).sum(), W);
  t.false((kept as Tensor | null)?.disposed ?? true);
  t.is((kept as unknown as Tensor).shape.length, 2);
  t.true(Number.isFinite((kept as unknown as Tensor).sum().item()));
});
