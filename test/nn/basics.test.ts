// Every example of the seed page (Flux Basics: building layers, stacking, helpers), in TypeScript.
import { inspect } from 'node:util';
import test from 'ava';
import {
  Chain, Dense, Layer, type Tensor, collect, compose, gradient, params, rand, randn, sigmoid, softmax, σ,
} from '../../ts/index.js';
import { close } from '../helpers.js';

test('two linear layers with σ between them, written by hand', (t) => {
  const W1 = rand(3, 5);
  const b1 = rand(3);
  const layer1 = (x: Tensor) => W1.matmul(x).add(b1);
  const W2 = rand(2, 3);
  const b2 = rand(2);
  const layer2 = (x: Tensor) => W2.matmul(x).add(b2);
  const model = (x: Tensor) => layer2(σ(layer1(x)));
  t.deepEqual(model(rand(5)).shape, [2]);
});

test('a function that returns linear layers (closures hold W and b)', (t) => {
  const linear = (inF: number, outF: number) => {
    const W = randn(outF, inF);
    const b = randn(outF);
    return (x: Tensor) => W.matmul(x).add(b);
  };
  const linear1 = linear(5, 3);
  const linear2 = linear(3, 2);
  const model = (x: Tensor) => linear2(σ(linear1(x)));
  t.deepEqual(model(rand(5)).shape, [2]);
});

// Flux's `struct Affine` with a call overload, as a TypeScript class.
class Affine extends Layer {
  W: Tensor;
  b: Tensor;
  constructor(inF: number, outF: number) {
    super();
    this.W = randn(outF, inF);
    this.b = randn(outF);
  }
  forward(x: Tensor): Tensor {
    return this.W.matmul(x).add(this.b);
  }
}

test('Affine: a struct-like layer you could have written yourself', (t) => {
  const a = new Affine(10, 5);
  t.deepEqual(a(rand(10)).shape, [5]);
  t.true(a instanceof Affine);
  // parameter collection finds its fields (the @functor analogue)
  const ps = params(a);
  t.is(ps.length, 2);
  t.true(ps.has(a.W) && ps.has(a.b));
});

test('Dense with σ, and stacking layers with a fold', (t) => {
  const layers = [Dense(10, 5, σ), Dense(5, 2), softmax];
  const model = (x: Tensor) => layers.reduce((h: Tensor, m) => m(h), x);
  const y = model(rand(10));
  t.deepEqual(y.shape, [2]);
  close(t, y.sum(), 1, { atol: 1e-6 });
});

test('Chain is the same fold, and prints like Flux with its parameter count', (t) => {
  const model2 = Chain(Dense(10, 5, σ), Dense(5, 2), softmax);
  t.deepEqual(model2(rand(10)).shape, [2]);
  t.is(inspect(model2), 'Chain(Dense(10 => 5, σ), Dense(5 => 2), softmax)  # 67 parameters');
});

test('composition: Dense(5, 2) ∘ Dense(10, 5, σ)', (t) => {
  const d1 = Dense(10, 5, σ);
  const d2 = Dense(5, 2);
  const m = compose(d2, d1);
  const x = rand(10);
  close(t, m(x), d2(d1(x)));
});

test('Chain works with any function: Chain(x => x^2, x => x + 1)(5) is 26', (t) => {
  const m = Chain((x: number) => x ** 2, (x: number) => x + 1);
  t.is(m(5), 26);
});

test('σ is sigmoid; a model’s parameters are collected by walking it', (t) => {
  t.is(σ, sigmoid);
  const m = Chain(Dense(10, 5, σ), Dense(5, 2));
  t.is(collect(m).length, 4);
  t.is(params(m).length, 4);
  const g = gradient((mm: typeof m) => mm(rand(10)).sum(), m)[0];
  t.deepEqual(g.layers?.[0]?.weight?.shape, [5, 10]);
  t.is((g.layers?.[0] as Record<string, unknown> | null)?.σ, null);
});
