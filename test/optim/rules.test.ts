// One loop runs every rule on the same problems (Optimisers.jl's test/rules.jl idea):
// a new rule gets the whole suite by adding one entry to RULES.
import { readFileSync } from 'node:fs';
import test from 'ava';
import {
  AdaGrad, Adam, AdamW, ClipGrad, ClipNorm, Descent, Momentum, Nesterov, OptimiserChain, RMSProp, type Rule, type Tensor, WeightDecay,
  adjust, freeze, gradient, setup, tensor, thaw, update,
} from '../../ts/index.js';
import { close, flat } from '../helpers.js';

const RULES: [string, () => Rule, number][] = [
  // name, rule, steps to converge on the convex problem
  ['Descent', () => new Descent(0.02), 400],
  ['Momentum', () => new Momentum(0.01, 0.9), 400],
  ['Nesterov', () => new Nesterov(0.01, 0.9), 400],
  ['RMSProp', () => new RMSProp(0.002), 2500],
  ['AdaGrad', () => new AdaGrad(0.5), 1500],
  ['Adam', () => new Adam(0.05), 1500],
  ['AdamW', () => new AdamW(0.05, [0.9, 0.999], 0), 1500],
  ['WeightDecay+Descent', () => new OptimiserChain(new WeightDecay(0), new Descent(0.02)), 400],
  ['ClipGrad+Descent', () => new OptimiserChain(new ClipGrad(1), new Descent(0.02)), 600],
  ['ClipNorm+Adam', () => new OptimiserChain(new ClipNorm(1), new Adam(0.05)), 1500],
];

// A convex least-squares problem with its minimiser known in closed form.
const A = tensor([[2, 1], [1, 3], [0, 1]], { dtype: 'float64' });
const b = tensor([1, 2, 3], { dtype: 'float64' });
const lossOf = (m: { x: Tensor }) => A.matmul(m.x).sub(b).pow(2).sum();
// normal equations: (AᵀA) x = Aᵀb, AᵀA = [[5,5],[5,11]], Aᵀb = [4, 10]
const xStar = [(11 * 4 - 5 * 10) / 30, (5 * 10 - 5 * 4) / 30];

for (const [name, make, steps] of RULES) {
  test(`${name} converges on a convex problem`, (t) => {
    const model = { x: tensor([0, 0], { dtype: 'float64' }) };
    const state = setup(make(), model);
    for (let i = 0; i < steps; i++) update(state, model, gradient(lossOf, model)[0]);
    close(t, model.x, xStar, { atol: 2e-3 });
  });
}

// Hand-computed first and second steps from each rule's formula, for x = [1, -2], dx = [0.5, 4].
const x0 = [1, -2];
const g = [0.5, 4];
const HAND: [string, Rule, (x: number, d: number) => number[]][] = [
  ['Descent', new Descent(0.1), (x, d) => [x - 0.1 * d, x - 0.1 * d - 0.1 * d]],
  ['Momentum', new Momentum(0.1, 0.9), (x, d) => [x - 0.1 * d, x - 0.1 * d - (0.9 * 0.1 * d + 0.1 * d)]],
  ['Nesterov', new Nesterov(0.1, 0.9), (x, d) => {
    const s1 = (1 + 0.9) * 0.1 * d; // v was 0
    const v1 = -0.1 * d;
    const s2 = -0.81 * v1 + (1 + 0.9) * 0.1 * d;
    return [x - s1, x - s1 - s2];
  }],
  ['RMSProp', new RMSProp(0.1, 0.9, 1e-8), (x, d) => {
    const a1 = 0.1 * d * d;
    const a2 = 0.9 * a1 + 0.1 * d * d;
    const x1 = x - (0.1 * d) / (Math.sqrt(a1) + 1e-8);
    return [x1, x1 - (0.1 * d) / (Math.sqrt(a2) + 1e-8)];
  }],
  ['AdaGrad', new AdaGrad(0.1, 1e-8), (x, d) => {
    const x1 = x - (0.1 * d) / (Math.sqrt(d * d) + 1e-8);
    return [x1, x1 - (0.1 * d) / (Math.sqrt(2 * d * d) + 1e-8)];
  }],
  ['Adam', new Adam(0.1, [0.9, 0.999], 1e-8), (x, d) => {
    // bias-corrected: the first two steps are both ≈ eta·sign(d)
    const m1 = 0.1 * d, v1 = 0.001 * d * d;
    const x1 = x - (0.1 * (m1 / 0.1)) / (Math.sqrt(v1 / 0.001) + 1e-8);
    const m2 = 0.9 * m1 + 0.1 * d, v2 = 0.999 * v1 + 0.001 * d * d;
    const x2 = x1 - (0.1 * (m2 / (1 - 0.81))) / (Math.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8);
    return [x1, x2];
  }],
  ['AdamW', new AdamW(0.1, [0.9, 0.999], 0.5, 1e-8), (x, d) => {
    const x1 = x * (1 - 0.05) - 0.1 * Math.sign(d) / (1 + 1e-8 / Math.abs(d));
    const m1 = 0.1 * d, v1 = 0.001 * d * d;
    const m2 = 0.9 * m1 + 0.1 * d, v2 = 0.999 * v1 + 0.001 * d * d;
    const x2 = x1 * (1 - 0.05) - (0.1 * (m2 / 0.19)) / (Math.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8);
    return [x1, x2];
  }],
  ['WeightDecay+Descent', new OptimiserChain(new WeightDecay(0.5), new Descent(0.1)), (x, d) => {
    const x1 = x - 0.1 * (d + 0.5 * x);
    return [x1, x1 - 0.1 * (d + 0.5 * x1)];
  }],
  ['ClipGrad+Descent', new OptimiserChain(new ClipGrad(1), new Descent(0.1)), (x, d) => {
    const c = Math.max(-1, Math.min(1, d));
    return [x - 0.1 * c, x - 0.2 * c];
  }],
];

for (const [name, rule, expected] of HAND) {
  test(`${name}: two steps agree with the hand-computed formula`, (t) => {
    const p = tensor(x0, { dtype: 'float64' });
    const state = setup(rule, { p });
    const grad = { p: tensor(g, { dtype: 'float64' }) };
    const want = x0.map((x, i) => expected(x, g[i]));
    update(state, { p }, grad);
    close(t, p, want.map((w) => w[0]), { atol: 1e-12, rtol: 1e-10 }, 'step 1');
    update(state, { p }, grad);
    close(t, p, want.map((w) => w[1]), { atol: 1e-12, rtol: 1e-10 }, 'step 2');
  });
}

test('ClipNorm rescales a gradient whose norm exceeds omega', (t) => {
  const p = tensor([0, 0], { dtype: 'float64' });
  update(setup(new OptimiserChain(new ClipNorm(1), new Descent(1)), { p }), { p }, { p: tensor([3, 4], { dtype: 'float64' }) });
  close(t, p, [-0.6, -0.8], { atol: 1e-12 });
});

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch-optim.json', import.meta.url), 'utf8'));
for (const kind of ['adam', 'adamw'] as const) {
  for (const fused of [true, false]) {
    test(`${kind} matches PyTorch's trajectory on a fixed problem (${fused ? 'fused kernel' : 'composed ops'})`, (t) => {
      const f = fixture[kind];
      const PA = tensor(fixture.problem.A, { dtype: 'float64' });
      const Pb = tensor(fixture.problem.b, { dtype: 'float64' });
      const model = { x: tensor(fixture.problem.x0, { dtype: 'float64' }) };
      let rule: Rule = kind === 'adam' ? new Adam(f.lr, f.betas, f.eps) : new AdamW(f.lr, f.betas, f.weight_decay, f.eps);
      if (!fused) rule = new OptimiserChain(rule); // a chain takes the composed path
      const state = setup(rule, model);
      f.trajectory.forEach((want: number[], i: number) => {
        update(state, model, gradient((m: typeof model) => PA.matmul(m.x).sub(Pb).pow(2).sum(), model)[0]);
        close(t, model.x, want, { atol: 1e-10, rtol: 1e-9 }, `step ${i + 1}`);
      });
    });
  }
}

test('float32 fused Adam equals the composed rule', (t) => {
  const a = { w: tensor([[0.1, -0.2], [0.3, 0.4]]) };
  const b2 = { w: tensor([[0.1, -0.2], [0.3, 0.4]]) };
  const sa = setup(new Adam(0.01), a);
  const sb = setup(new OptimiserChain(new Adam(0.01)), b2);
  for (let i = 0; i < 5; i++) {
    const grad = { w: tensor([[0.5, -1], [2, 0.25 * i]]) };
    update(sa, a, grad);
    update(sb, b2, grad);
  }
  close(t, a.w, b2.w, { atol: 1e-6 });
});

test('setup mirrors the model; tied weights share one state and step once', (t) => {
  const w = tensor([1, 1], { dtype: 'float64' });
  const model = { enc: { w }, dec: { w }, name: 'tied' };
  const state = setup(new Descent(0.1), model);
  const tree = state as unknown as Record<string, Record<string, unknown> | null>;
  t.is(tree.enc?.w, tree.dec?.w);
  t.is(tree.name, null);
  const grad = gradient((m: typeof model) => m.enc.w.mul(m.dec.w).sum(), model)[0];
  update(state, model, grad);
  // d/dw Σ w·w = 2w = 2 → one step of 0.1·2
  close(t, w, [0.8, 0.8], { atol: 1e-12 });
});

test('adjust changes the learning rate; freeze and thaw stop and restart updates', (t) => {
  const model = { a: tensor([1], { dtype: 'float64' }), b: tensor([1], { dtype: 'float64' }) };
  const state = setup(new Descent(0.1), model) as Record<string, ReturnType<typeof setup>>;
  const grad = { a: tensor([1], { dtype: 'float64' }), b: tensor([1], { dtype: 'float64' }) };
  adjust(state, 0.5);
  freeze(state.b);
  update(state, model, grad);
  t.deepEqual(flat(model.a), [0.5]);
  t.deepEqual(flat(model.b), [1]);
  thaw(state.b);
  adjust(state, { eta: 0.25 });
  update(state, model, grad);
  t.deepEqual(flat(model.a), [0.25]);
  t.deepEqual(flat(model.b), [0.75]);
});

test('update takes Grads from implicit params too', async (t) => {
  const { params } = await import('../../ts/index.js');
  const W = tensor([2, -1], { dtype: 'float64' });
  const state = setup(new Descent(0.5), [W]);
  const gs = gradient(() => W.pow(2).sum(), params(W));
  update(state, [W], gs);
  close(t, W, [0, 0], { atol: 1e-12 });
});

test('bad hyperparameters are refused with the rule and argument named', (t) => {
  t.throws(() => new Adam(-1), { message: /Adam: expected eta to be a non-negative number/ });
  t.throws(() => new Momentum(0.1, 1.5), { message: /Momentum: expected rho to be a number in \[0, 1\)/ });
  t.throws(() => setup({} as Rule, {}), { message: /setup: expected rule/ });
});
