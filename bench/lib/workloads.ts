// The benchmark suite: one entry per workload. Every peer implements the same ids with
// the same shapes (bench/peers/*); the orchestrator (bench/run.ts) picks, runs, reports.

/**
 * numpy: OpenBLAS called directly (the GEMM reference), in the Python child whose
 * environment lacks OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE. numpy-env and fluxion-noenv are
 * diagnostics shown in the notes: numpy with Fluxion's environment (GEMM rows), Fluxion
 * with the peers' one (GEMM, MLP gradient and MLP step rows).
 */
export type PeerId = 'fluxion' | 'torch' | 'numpy' | 'numpy-env' | 'fluxion-noenv' | 'tfjs-cpu' | 'tfjs-wasm';

export type Group = 'gemm' | 'small' | 'scalar' | 'mlp' | 'step' | 'epoch' | 'memory';

export interface Workload {
  id: string;
  /** Row label in the table. */
  title: string;
  group: Group;
  /** How the table shows a time: µs, ms or s (children always report milliseconds). */
  unit: 'µs' | 'ms' | 's';
  /** Shapes and settings, passed verbatim to every peer. */
  params: Record<string, number | string>;
  /** One line for the README / RESULTS notes. */
  measures: string;
}

export const MLP_SIZES = [784, 512, 512, 10] as const;
/** FLOP of one training step per sample: forward 2·Σ in·out, weight grads the same, input grads of layers 2 and 3. */
export const STEP_FLOP_PER_SAMPLE = 2 * (784 * 512 + 512 * 512 + 512 * 10) * 2 + 2 * (512 * 512 + 512 * 10);
export const SGD_LR = 0.01;
export const ADAM_LR = 1e-3;

const gemm = (n: number): Workload => ({
  id: `gemm-${n}`,
  title: `GEMM ${n}×${n}·${n}×${n}`,
  group: 'gemm',
  unit: 'ms',
  params: { n },
  measures: `C = A·B for float32 A, B of ${n}×${n} (a fresh output each call); GFLOP/s = 2n³/t.`,
});

const step = (batch: number, opt: 'sgd' | 'adam'): Workload => ({
  id: `step-b${batch}-${opt}`,
  title: `MLP step b${batch} ${opt === 'sgd' ? 'SGD' : 'Adam'}`,
  group: 'step',
  unit: 'ms',
  params: { batch, opt, lr: opt === 'sgd' ? SGD_LR : ADAM_LR },
  measures: `One training step of the 784-512-512-10 ReLU MLP at batch ${batch}: forward, logit cross-entropy, backward, ${opt === 'sgd' ? 'SGD (Descent)' : 'Adam'} update, loss read back as a number.`,
});

const epoch = (opt: 'sgd' | 'adam'): Workload => ({
  id: `mnist-${opt}`,
  title: `MNIST epoch ${opt === 'sgd' ? 'SGD' : 'Adam'}`,
  group: 'epoch',
  unit: 's',
  params: { n: 8000, batch: 128, opt, lr: opt === 'sgd' ? SGD_LR : ADAM_LR },
  measures: `One epoch over the same 8,000 real MNIST digits (batch 128, reshuffled each epoch, last batch partial) with ${opt === 'sgd' ? 'SGD' : 'Adam'}.`,
});

export const WORKLOADS: Workload[] = [
  gemm(256),
  gemm(1024),
  gemm(2048),
  {
    id: 'add-64',
    title: 'add 64 + 64 (per op)',
    group: 'small',
    unit: 'µs',
    params: { size: 64 },
    measures: 'One elementwise add of two 64-element float32 tensors, result allocated: the per-op overhead.',
  },
  {
    id: 'chain-fwd',
    title: 'chain 1000 add/mul (per op)',
    group: 'small',
    unit: 'µs',
    params: { size: 64, ops: 1000 },
    measures: 'x ← (x + b)·c repeated: 1,000 ops on 64-element tensors, time per op.',
  },
  {
    id: 'chain-grad',
    title: 'gradient of the chain (per op)',
    group: 'small',
    unit: 'µs',
    params: { size: 64, ops: 1000 },
    measures: 'gradient of sum(chain(x)) with respect to x: recording, backward and the forward itself, per forward op.',
  },
  {
    id: 'scalar-grad',
    title: "gradient(f, 2), f=3x²+2x+1",
    group: 'scalar',
    unit: 'µs',
    params: { x: 2 },
    measures: "f'(2) = 14 of f(x) = 3x²+2x+1 from a plain number, value read back (PyTorch: torch.autograd.grad).",
  },
  {
    id: 'scalar-grad2',
    title: "second derivative f''(2)",
    group: 'scalar',
    unit: 'µs',
    params: { x: 2 },
    measures: "f''(2) = 6 by differentiating the gradient (PyTorch: autograd.grad with create_graph=True, twice).",
  },
  {
    id: 'mlp-fwd',
    title: 'MLP loss forward b128',
    group: 'mlp',
    unit: 'ms',
    params: { batch: 128 },
    measures: 'Loss of the 784-512-512-10 MLP at batch 128 (logit cross-entropy), no gradient: the baseline for the two rows below.',
  },
  {
    id: 'mlp-grad',
    title: 'MLP gradient b128 (÷ fwd)',
    group: 'mlp',
    unit: 'ms',
    params: { batch: 128 },
    measures: 'Gradient of that loss with respect to every parameter; shown with its ratio to the forward.',
  },
  {
    id: 'mlp-grad2',
    title: 'MLP 2nd order b128 (÷ grad)',
    group: 'mlp',
    unit: 'ms',
    params: { batch: 128 },
    measures: 'Gradient of the squared gradient norm Σ‖∂L/∂θ‖² (second order); shown with its ratio to the first-order gradient.',
  },
  step(128, 'sgd'),
  step(128, 'adam'),
  step(1024, 'sgd'),
  step(1024, 'adam'),
  epoch('sgd'),
  epoch('adam'),
  {
    id: 'memory',
    title: 'RSS after 2000 vs 100 steps',
    group: 'memory',
    unit: 'ms',
    params: { batch: 128, early: 100, late: 2000 },
    measures: 'Fluxion only: resident set size after 100 and after 2,000 Adam training steps at batch 128 (after a GC), as a leak check.',
  },
];

/** Which peers run a workload (others show "—"). numpy is the OpenBLAS-direct GEMM reference. */
export function peersOf(w: Workload): PeerId[] {
  if (w.group === 'memory') return ['fluxion'];
  if (w.group === 'gemm') return ['fluxion', 'torch', 'tfjs-cpu', 'tfjs-wasm', 'numpy', 'numpy-env', 'fluxion-noenv'];
  if (w.group === 'mlp' || w.group === 'step') return ['fluxion', 'torch', 'tfjs-cpu', 'tfjs-wasm', 'fluxion-noenv'];
  return ['fluxion', 'torch', 'tfjs-cpu', 'tfjs-wasm'];
}

/** Workloads whose id contains any of the comma-separated substrings (all when none). */
export function select(only: string | undefined): Workload[] {
  if (!only) return WORKLOADS;
  const keys = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return WORKLOADS.filter((w) => keys.some((k) => w.id.includes(k)));
}
