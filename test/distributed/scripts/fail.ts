// Failure cases, under `mpirun -np 2`:
//   node fail.ts die     rank 1 is killed (SIGKILL) in the middle of training; rank 0 keeps reducing
//   node fail.ts hang    rank 1 stops calling collectives (alive, busy elsewhere); rank 0 has a 3 s deadline
//   node fail.ts closed  allReduce after close()
//   node fail.ts throw   rank 0 throws an ordinary error (a bug) while rank 1 waits in a collective
import { initDistributed, randn } from '../../../ts/index.js';

const mode = process.argv[2];
const dist = initDistributed({ backend: 'mpi', timeout: mode === 'hang' ? 3 : 60 });
const t = randn([1000]);
if (mode === 'closed') {
  dist.close();
  dist.allReduce(t);
}
for (let step = 0; ; step++) {
  if (mode === 'throw' && dist.rank === 0 && step === 20) throw new Error('a bug on rank 0');
  if (mode !== 'throw' && dist.rank === 1 && step === 20) {
    if (mode === 'die') process.kill(process.pid, 'SIGKILL');
    // hang: alive but never arriving
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  }
  dist.allReduce(t, 'mean');
}
