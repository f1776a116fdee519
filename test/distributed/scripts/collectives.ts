// Under `mpirun -np 2` (Open MPI or MPICH): every collective of Distributed on every dtype and
// op, checked against the values each rank can compute itself; prints one JSON line per rank.
import { initDistributed, tensor, zeros } from '../../../ts/index.js';

const dist = initDistributed({ backend: 'mpi', timeout: 30, ...(process.argv[2] ? { library: process.argv[2] } : {}) });
const { rank, size } = dist;
const results: Record<string, unknown> = { rank, size, library: dist.library };
const mine = (dtype: 'float32' | 'float64' | 'int32') => tensor([rank + 1, -(rank + 1) * 2, 10 * rank], { dtype });
for (const dtype of ['float32', 'float64', 'int32'] as const)
  for (const op of ['sum', 'max', 'min', ...(dtype === 'int32' ? [] : ['mean' as const])] as const) {
    const t = mine(dtype);
    const back = dist.allReduce(t, op);
    results[`${dtype}.${op}`] = back === t ? t.toArray() : 'not in place';
  }
// a strided view reduces through a copy, written back into the view only
const base = zeros([2, 3]);
base.T.slice(1, 1, 2).assign(rank + 1);
dist.allReduce(base.T.slice(1, 1, 2));
results.view = base.toArray();
// a device tensor (the emulated device under FLUXION_EMULATE_CUDA=1) goes through host memory with 'mpi'
if (process.env.FLUXION_EMULATE_CUDA === '1') {
  const d = tensor([rank + 1, 2 * rank]).to('cuda');
  dist.allReduce(d, 'mean');
  results.device = [d.device, d.toArray()];
}
const b = tensor([rank, rank, rank]);
dist.broadcast(b, size - 1);
results.broadcast = b.toArray();
dist.barrier();
dist.close();
let after = '';
try {
  dist.barrier();
} catch (e) {
  after = `${(e as Error).name}: ${(e as Error).message}`;
}
results.afterClose = after;
console.log(JSON.stringify(results));
