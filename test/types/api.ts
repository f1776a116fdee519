// Type test: compiled by `npm test` (tsconfig.check.json's typecheck), never run. Each
// `Expect<Equal<...>>` pins a type exactly; each `@ts-expect-error` line must fail to compile
// (tsc reports an unused @ts-expect-error as an error, so a type that loosens breaks the
// build). test/types/declarations.test.ts compiles a program like it against the emitted .d.ts.
import {
  Adam,
  type AdamState,
  Chain,
  ClipNorm,
  DataLoader,
  Dense,
  type DenseLayer,
  Descent,
  type Grad,
  type Grads,
  Layer,
  Leaf,
  OptimiserChain,
  Params,
  RNG,
  type Tensor,
  arange,
  freeze,
  full,
  gradient,
  isActive,
  logitCrossEntropy,
  type Mode,
  ones,
  params,
  pullback,
  rand,
  range,
  relu,
  reshape,
  setup,
  softmax,
  type StateTree,
  tensor,
  train,
  update,
  withGradient,
  zeros,
} from '../../ts/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_ok?: T): void {}

const x = rand(4, 3);
const y = tensor([0, 1, 2, 1], { dtype: 'int32' });

// ---- 2. one way to construct things ----------------------------------------------------------

// rules, loaders and generators construct with and without `new`, and either is an instance
const chained = OptimiserChain(ClipNorm(1), Adam(1e-3));
expectType<Equal<typeof chained, InstanceType<typeof OptimiserChain>>>(true);
const adam = Adam(1e-3);
expectType<Equal<typeof adam, Adam>>(true);
expectType<Equal<typeof adam, InstanceType<typeof Adam>>>(true);
const adam2: Adam = new Adam(1e-3, [0.9, 0.99]);
const rng: RNG = RNG(42);
const rng2: RNG = new RNG(42);
const ps: Params = Params([x]);
const leaf: Leaf<null> = Leaf(Descent(), null);
void [adam2, rng, rng2, ps, leaf];
const unknownRule: unknown = adam;
if (unknownRule instanceof Adam) expectType<Equal<typeof unknownRule, Adam>>(true); // instanceof narrows
// @ts-expect-error the constructors check their arguments, called or constructed
Adam('fast');
// @ts-expect-error
new RNG('seed');
// @ts-expect-error OptimiserChain takes rules
OptimiserChain(1);

// a DataLoader keeps its data's type, tuple data as a tuple
const loader = DataLoader([x, y], { batchSize: 2 });
for (const batch of loader) expectType<Equal<typeof batch, readonly [Tensor, Tensor]>>(true);
const single = new DataLoader(x, { batchSize: 2 });
for (const batch of single) expectType<Equal<typeof batch, Tensor>>(true);
// @ts-expect-error a DataLoader takes tensors
DataLoader([1, 2, 3]);

// shapes: separate dims or one array, everywhere; options after any form
const shapes: Tensor[] = [zeros(2, 3), zeros([2, 3]), ones(2, 3, { dtype: 'float64' }), rand([2], { rng }), full(2, 3, 7), full([2, 3], 7), reshape(x, 3, 4), x.reshape([12]), arange(5, { dtype: 'int32' }), arange(1, 5, { dtype: 'float64' })];
void shapes;
// @ts-expect-error full needs a value after the dims
full();
// @ts-expect-error the dims are numbers
zeros('2');

// indexing: a range has its own form, a list picks positions
const rows: Tensor[] = [x.get(range(0, 2)), x.get([0, 3]), x.get(null, range(0, null, 2)), x.get(1), x.get(tensor([0], { dtype: 'int32' }))];
void rows;
// @ts-expect-error an index is not a string
x.get('0:2');

// custom layers can follow trainMode / testMode
class Noisy extends Layer {
  mode: Mode = 'auto';
  forward(v: Tensor): Tensor {
    return isActive(this.mode) ? v.add(rand(...v.shape)) : v;
  }
}
const noisy = new Noisy();
expectType<Equal<ReturnType<typeof noisy>, Tensor>>(true);

// ---- 3. types that help -----------------------------------------------------------------------

// layer calls are typed by their forward
const dense = Dense(3, 2, relu);
expectType<Equal<ReturnType<typeof dense>, Tensor>>(true);
const out: Tensor = dense(x);
void out;
// @ts-expect-error a Dense layer takes a tensor
dense('x');
// @ts-expect-error and one of them
dense(x, x);
const model = Chain(Dense(3, 5, relu), Dense(5, 3), softmax);
const probs = model(x);
expectType<Equal<typeof probs, Tensor>>(true);
const composed = Chain((v: number) => v ** 2, (v: number) => `${v}`);
expectType<Equal<ReturnType<typeof composed>, string>>(true);
// @ts-expect-error the chain takes what its first layer takes
composed('5');

// gradients: numbers give numbers, tensors tensors, models their structural mirror
const [gn] = gradient((v: Tensor) => v.mul(v), 3);
expectType<Equal<typeof gn, number | Tensor | null>>(true);
const [gx, gyy] = gradient((a: Tensor, b: Tensor) => a.sub(b).pow(2).sum(), x, x);
expectType<Equal<typeof gx, Tensor | null>>(true);
expectType<Equal<typeof gyy, Tensor | null>>(true);
const [gm] = gradient((m) => logitCrossEntropy(m(x), y), model);
expectType<Equal<typeof gm, Grad<typeof model>>>(true);
const w0 = gm.layers?.[0]?.weight; // a subtree without any gradient is null
expectType<Equal<typeof w0, Tensor | null | undefined>>(true);
const b1 = gm.layers?.[1]?.bias;
expectType<Equal<typeof b1, Tensor | null | undefined>>(true);
type Layers = NonNullable<typeof gm.layers>;
expectType<Equal<Layers['length'], 3>>(true);
expectType<Equal<Layers[2], null>>(true); // softmax, a plain function, has no gradient
// @ts-expect-error the mirror has the model's fields only
gm.layers?.[0]?.wieght;
// @ts-expect-error the gradient of a Dense layer is not callable
gm.layers?.[0]?.(x);
// the function's parameters are typed from the arguments (numbers arrive as tensors)
gradient((v) => {
  expectType<Equal<typeof v, Tensor>>(true);
  return v.sum();
}, 2);
// @ts-expect-error f must accept what the arguments become
gradient((s: string) => s.length, x);
const implicit = gradient(() => dense(x).sum(), params(dense));
expectType<Equal<typeof implicit, Grads>>(true);
const wg = withGradient((m) => m(x).sum(), dense);
expectType<Equal<typeof wg.val, Tensor>>(true);
expectType<Equal<typeof wg.grad, [Grad<DenseLayer>]>>(true);
const wgrad = wg.grad[0].weight;
expectType<Equal<typeof wgrad, Tensor | null>>(true);
const { back } = pullback((a: Tensor, k: Tensor) => a.mul(k), x, 2);
expectType<Equal<ReturnType<typeof back>, [Tensor | null, number | Tensor | null]>>(true);

// optimiser state mirrors the model too, with the rule's state at each parameter
const opt = setup(Adam(1e-3), model);
freeze(opt.layers[0]); // as the README writes it, under --strict
const leafW = opt.layers[0].weight;
expectType<Equal<typeof leafW, Leaf<AdamState> | null>>(true);
update(opt, model, gm);
const mixed = setup(OptimiserChain(ClipNorm(1), Descent()), dense);
// a model of unknown type gets any state tree, as `ReturnType<typeof setup>` is written in practice
expectType<Equal<ReturnType<typeof setup>, StateTree>>(true);
void mixed.weight?.state;
// @ts-expect-error the state mirror has the model's fields only
opt.layers[0].wieght;
// @ts-expect-error setup takes a rule first
setup(model, Adam());

// train's loss is typed from the batches of its data
train((m, xb, yb) => {
  expectType<Equal<typeof m, typeof model>>(true);
  expectType<Equal<typeof xb, Tensor>>(true);
  expectType<Equal<typeof yb, Tensor>>(true);
  return logitCrossEntropy(m(xb), yb);
}, model, loader, opt, { epochs: 1 });
train((m, xb) => m(xb).sum(), model, single, opt);
// the example: `x.shape` is not a loss
// @ts-expect-error the loss must return a tensor
train((_m, xb, _yb) => xb.shape, model, loader, opt);
// @ts-expect-error a batch of two tensors does not give three
train((m, a: Tensor, b: Tensor, c: Tensor) => m(a).add(b).add(c).sum(), model, loader, opt);
