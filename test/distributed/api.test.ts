// The distributed API inside one process: argument checks, the sharded DataLoader's split
// (with plain { rank, size } shards), and a group of one (MPI run without a launcher), on which
// DistributedOptimizer must step exactly as the rule it wraps, with one collective per bucket.
import { spawnSync } from 'node:child_process';
import test from 'ava';
import {
  Adam, ArgumentError, Chain, ClipGrad, DataLoader, Dense, DeviceError, Descent, DistributedError, DistributedOptimizer,
  DTypeError, OptimiserChain, RNG, adjust, arange, collect, gradient, initDistributed, mse, randn, setup, synchronize, tensor, update,
  type Distributed, type Tensor,
} from '../../ts/index.js';
import { native } from '../../ts/native.js';

test('initDistributed refuses bad options before touching MPI', (t) => {
  t.throws(() => initDistributed(undefined as never), { instanceOf: ArgumentError, message: /initDistributed: expected options/ });
  t.throws(() => initDistributed({ backend: 'gloo' as never }), { instanceOf: ArgumentError, message: /expected backend to be 'mpi' or 'nccl', got the string "gloo"/ });
  t.throws(() => initDistributed({ backend: 'mpi', timeout: -1 }), { instanceOf: ArgumentError, message: /timeout/ });
  t.throws(() => initDistributed({ backend: 'mpi', library: 'libfoo.so' }), { instanceOf: ArgumentError, message: /library .*libmpi\.so\.40/ });
});

test("the 'nccl' backend without a CUDA device (or without libnccl.so.2) is a DeviceError saying why", (t) => {
  if (native.kernels().cuda && native.cudaDeviceCount() > 0 && native.ncclProblem() === '') {
    t.pass('a CUDA device and NCCL are here: the error case does not apply');
    return;
  }
  t.throws(() => initDistributed({ backend: 'nccl' }), { instanceOf: DeviceError, message: /initDistributed: the 'nccl' backend needs a CUDA device and libnccl\.so\.2: .+; use backend 'mpi'/ });
  t.not(native.ncclProblem(), '');
  // the native entry points refuse too, never crash
  t.throws(() => native.ncclUniqueId(), { message: /NCCL|CUDA/ });
  t.throws(() => native.ncclAllReduce(new BigUint64Array(4), 0, 0, 0, 1), { message: /not CUDA memory|CUDA/ });
});

test('a sharded DataLoader gives each rank its part of every global batch: together exactly the batches of one loader', (t) => {
  const x = arange(0, 23).reshape([23, 1]);
  const single = new DataLoader(x, { batchSize: 6, shuffle: true, seed: 3 });
  const ranks = [0, 1, 2].map((rank) => new DataLoader(x, { batchSize: 2, shuffle: true, seed: 3, shard: { rank, size: 3 } }));
  const lengths = ranks.map((l) => l.length);
  t.deepEqual(lengths, [4, 4, 4], 'the same number of batches on every rank');
  for (let epoch = 0; epoch < 2; epoch++) {
    const whole = [...single].map((b: Tensor) => (b.toArray() as number[][]).flat());
    const parts = ranks.map((l) => [...l].map((b: Tensor) => (b.toArray() as number[][]).flat()));
    for (let b = 0; b < 3; b++) t.deepEqual(parts.flatMap((p) => p[b]), whole[b], `epoch ${epoch}, batch ${b}`);
    // the last global batch has 5 observations: ⌊5 / 3⌋ = 1 for each rank, in order (2 left out)
    t.deepEqual(parts.map((p) => p[3]), whole[3].slice(0, 3).map((v) => [v]));
  }
  const noPartial = new DataLoader(x, { batchSize: 2, shard: { rank: 1, size: 3 }, partial: false });
  t.is(noPartial.length, 3);
  t.deepEqual([...noPartial].map((b: Tensor) => (b.toArray() as number[][]).flat()), [[2, 3], [8, 9], [14, 15]]);
  t.throws(() => new DataLoader(x, { shard: { rank: 3, size: 3 } }), { instanceOf: ArgumentError, message: /DataLoader: expected shard to be the Distributed/ });
  t.throws(() => new DataLoader(x, { shard: 4 as never }), { instanceOf: ArgumentError, message: /shard/ });
});

const haveMpi = spawnSync('sh', ['-c', 'ldconfig -p | grep -q libmpi.so.40'], { encoding: 'utf8' }).status === 0;
if (!haveMpi && process.env.CI) test('libmpi.so.40 is installed (CI runs the distributed tests)', (t) => t.fail('install openmpi-bin'));
const withMpi = haveMpi ? test.serial : test.serial.skip;

// One group for the whole file: MPI is opened once per process.
let group: Distributed | null = null;
const dist = (): Distributed => (group ??= initDistributed({ backend: 'mpi', timeout: 30 }));

withMpi('a process started without a launcher is a group of one; collectives check their arguments', (t) => {
  const d = dist();
  t.is(d.rank, 0);
  t.is(d.size, 1);
  t.regex(String(d), /^Distributed\(rank 0 of 1, mpi, Open MPI/);
  const x = tensor([1, 2, 3]);
  t.is(d.allReduce(x, 'mean'), x);
  t.deepEqual(x.toArray(), [1, 2, 3]);
  t.throws(() => d.allReduce(x, 'prod' as never), { instanceOf: ArgumentError, message: /allReduce: expected op to be 'sum', 'mean', 'max' or 'min', got the string "prod"/ });
  t.throws(() => d.allReduce([1, 2] as never), { instanceOf: ArgumentError, message: /allReduce: expected t to be a Tensor/ });
  t.throws(() => d.allReduce(tensor([1, 2], { dtype: 'int32' }), 'mean'), { instanceOf: DTypeError });
  t.throws(() => d.broadcast(x, 1), { instanceOf: ArgumentError, message: /broadcast: expected root to be a rank in \[0, 0\], got the number 1/ });
  t.throws(() => DistributedOptimizer({ rank: 0, size: 1 } as never, new Adam()), { instanceOf: ArgumentError, message: /DistributedOptimizer: expected dist to be the Distributed/ });
  t.throws(() => DistributedOptimizer(d, DistributedOptimizer(d, new Adam())), { instanceOf: ArgumentError });
  d.barrier();
});

withMpi('DistributedOptimizer steps exactly as its rule, alone and inside an OptimiserChain, with one collective per bucket', (t) => {
  const d = dist();
  const x = randn([16, 6], { rng: new RNG(1) });
  const y = randn([16, 3], { rng: new RNG(2) });
  const make = () => {
    const m = Chain(Dense(6, 12), Dense(12, 3));
    collect(m).forEach((p, i) => {
      p.assign(randn(p.shape, { rng: new RNG(10 + i) }));
    });
    return m;
  };
  const calls = { n: 0 };
  const real = native.mpiAllReduce;
  native.mpiAllReduce = (...args) => {
    calls.n++;
    return real(...args);
  };
  try {
    for (const [name, plain, wrapped, buckets] of [
      ['Adam', new Adam(0.01), DistributedOptimizer(d, new Adam(0.01)), 1],
      ['a chain', new OptimiserChain(new ClipGrad(0.05), new Descent(0.1)), new OptimiserChain(new ClipGrad(0.05), DistributedOptimizer(d, new Descent(0.1))), 1],
      ['small buckets', new Adam(0.01), DistributedOptimizer(d, new Adam(0.01), { bucketBytes: 200 }), 3],
    ] as const) {
      const a = make();
      const b = make();
      const sa = setup(plain, a);
      const sb = setup(wrapped, b);
      adjust(sb, 0.02); // the adjusted rule stays one rule: still one collective per bucket
      adjust(sa, 0.02);
      calls.n = 0;
      for (let s = 0; s < 5; s++) {
        update(sa, a, gradient((m: typeof a) => mse(m(x), y), a)[0]);
        update(sb, b, gradient((m: typeof b) => mse(m(x), y), b)[0]);
      }
      // w1 6×12 (288 B), b1 (48 B), w2 12×3 (144 B), b2 (12 B): 200-byte buckets are [w1], [b1, w2], [b2]
      t.is(calls.n, 5 * buckets, `${name}: collectives per step`);
      t.deepEqual(collect(b).map((p) => p.toArray()), collect(a).map((p) => p.toArray()), name);
    }
  } finally {
    native.mpiAllReduce = real;
  }
});

withMpi('synchronize broadcasts the model and the optimiser state; after close() the group is unusable and MPI cannot reopen', (t) => {
  const d = dist();
  const m = Chain(Dense(3, 2));
  const opt = setup(DistributedOptimizer(d, new Adam()), m);
  const before = collect(m).map((p) => p.toArray());
  t.is(synchronize(d, m, { state: opt }), m);
  t.deepEqual(collect(m).map((p) => p.toArray()), before);
  t.throws(() => synchronize(d, m, { root: 2 }), { instanceOf: ArgumentError, message: /synchronize: expected root/ });
  d.close();
  t.false(d.active);
  t.throws(() => d.allReduce(tensor([1])), { instanceOf: DistributedError, message: 'allReduce: this Distributed was closed (rank 0 of 1)' });
  t.throws(() => synchronize(d, m), { instanceOf: DistributedError, message: /closed/ });
  t.throws(() => initDistributed({ backend: 'mpi' }), { instanceOf: DistributedError, message: /MPI was closed in this process and cannot be opened again/ });
  d.close(); // twice is fine
});
