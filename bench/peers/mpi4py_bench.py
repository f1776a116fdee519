# mpi4py's all-reduce, the reference of the dist-allreduce-10m row: run under mpirun by
# bench/lib/distributed.ts with the same JSON job as bench/peers/dist_bench.ts, the same
# schedule (3 warm-up calls, then `reps` timed ones, each after a barrier); rank 0 answers.
import json
import sys
import time

import numpy as np
from mpi4py import MPI

job = json.loads(sys.argv[1])
w = job["workload"]
comm = MPI.COMM_WORLD
a = np.random.default_rng(0).random(int(w["params"]["n"]), dtype=np.float32)
samples = []
for i in range(3 + job["reps"]):
    comm.Barrier()
    t0 = time.perf_counter()
    comm.Allreduce(MPI.IN_PLACE, a, op=MPI.SUM)
    ms = (time.perf_counter() - t0) * 1000
    if i >= 3:
        samples.append(ms)
if comm.Get_rank() == 0:
    s = sorted(samples)

    def q(p):
        pos = (len(s) - 1) * p
        lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - lo)

    stats = {"median": q(0.5), "q1": q(0.25), "q3": q(0.75), "min": s[0], "max": s[-1], "n": len(s), "inner": 1, "samples": samples}
    result = {"workload": w["id"], "peer": "mpi4py", "status": "ok", "threads": job["threads"], "stats": stats,
              "extra": {"ranks": comm.Get_size(), "mpi4py": __import__("mpi4py").__version__, "library": MPI.Get_library_version().split("\n")[0].strip()}}
    print("@@RESULT " + json.dumps(result), flush=True)
