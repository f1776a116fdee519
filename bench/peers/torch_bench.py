"""PyTorch (CPU) and numpy peers of the Fluxion benchmark suite.

Run by bench/run.ts as one long-lived child process (python3 bench/peers/torch_bench.py).
It speaks the protocol of bench/lib/protocol.ts: the first stdin line is the JSON job,
each further line one workload; it answers '@@META {json}' once ready, then per workload
'@@RESULT {json}' lines (times in milliseconds per unit) and '@@DONE <id>'. Timing
mirrors bench/lib/measure.ts (calibrate, warm up, median of repetitions).

Threads: torch.set_num_threads(n) sets the OpenMP intra-op pool; PyTorch's CPU GEMM goes
to the process's OpenBLAS (the one numpy uses too), whose pool is set with
openblas_set_num_threads(n) through ctypes, so both follow the same count.
The job's peer is 'torch' (PyTorch rows plus numpy's GEMM, the "OpenBLAS direct"
reference) or 'numpy-env' (numpy GEMM only, run with the environment Fluxion sees).
"""
import ctypes
import json
import math
import sys
import time

RESULT = "@@RESULT "
META = "@@META "
DONE = "@@DONE "
MIN_REP_MS = 50.0
WARMUP = 2

job = json.loads(sys.stdin.readline())
PEER = job["peer"]
OPTS = {"reps": job["reps"], "budget": job["budgetMs"]}


def emit(r):
    sys.stdout.write(RESULT + json.dumps(r) + "\n")
    sys.stdout.flush()


def now_ms():
    return time.perf_counter() * 1e3


def quantile(s, q):
    if len(s) == 1:
        return s[0]
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summarize(samples, inner, warmup_only=False):
    s = sorted(samples)
    out = {"median": quantile(s, 0.5), "q1": quantile(s, 0.25), "q3": quantile(s, 0.75),
           "min": s[0], "max": s[-1], "n": len(s), "inner": inner, "samples": samples}
    if warmup_only:
        out["warmupOnly"] = True
    return out


def timed(run, k):
    t = now_ms()
    run(k)
    return now_ms() - t


def measure(run, max_inner=1_000_000):
    """run(k) performs k units; returns stats of milliseconds per unit (as measure.ts)."""
    budget = OPTS["budget"]
    inner = 1
    t = timed(run, 1)
    if t > 2 * budget:
        return summarize([t], 1, True)
    spent = t
    if t < budget / 4:
        t = timed(run, 1)
        spent += t
    while t < MIN_REP_MS and inner < max_inner and spent < budget / 2:
        inner = min(max_inner, inner * (10 if t < MIN_REP_MS / 20 else 2))
        t = timed(run, inner)
        spent += t
    i = 0
    while i < WARMUP and spent + t < budget / 2:
        t = timed(run, inner)
        spent += t
        i += 1
    fit = int(budget // max(t, 1e-6))
    min_reps = min(3, OPTS["reps"]) if t <= budget else 1
    reps = max(1, min(OPTS["reps"], max(min_reps, fit)))
    samples = [timed(run, inner) / inner for _ in range(reps)]
    return summarize(samples, inner)


def per_op(st, ops):
    out = dict(st)
    for k in ("median", "q1", "q3", "min", "max"):
        out[k] = st[k] / ops
    out["samples"] = [v / ops for v in st["samples"]]
    return out


def err_text(e):
    return (type(e).__name__ + ": " + str(e)).split("\n")[0][:200]


# ---------------------------------------------------------------- OpenBLAS control
def find_openblas():
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "libopenblas" in path:
                    lib = ctypes.CDLL(path)
                    lib.openblas_get_config.restype = ctypes.c_char_p
                    lib.openblas_get_corename.restype = ctypes.c_char_p
                    return lib, path
    except OSError:
        pass
    return None, None


try:
    import numpy as np
    NUMPY_ERR = None
except Exception as e:  # noqa: BLE001 - reported as "missing"
    np = None
    NUMPY_ERR = err_text(e)

torch = None
TORCH_ERR = "not used by this job"
if PEER == "torch":
    try:
        import torch
        import torch.nn.functional as F
        TORCH_ERR = None
    except Exception as e:  # noqa: BLE001
        TORCH_ERR = err_text(e)

OB, OB_PATH = find_openblas()


def set_threads(n):
    if torch is not None:
        torch.set_num_threads(n)
    if OB is not None:
        OB.openblas_set_num_threads(n)


set_threads(job["threads"])

meta = {"peer": PEER, "python": sys.version.split()[0], "threads": job["threads"]}
if np is not None:
    meta["numpy"] = np.__version__
if torch is not None:
    meta["torch"] = torch.__version__
    meta["torchThreads"] = torch.get_num_threads()
    meta["torchParallel"] = torch.__config__.parallel_info().split("\n")[-2].strip()
if OB is not None:
    meta["openblas"] = OB.openblas_get_config().decode()
    meta["openblasCore"] = OB.openblas_get_corename().decode()
    meta["openblasThreads"] = OB.openblas_get_num_threads()
    meta["openblasPath"] = OB_PATH
sys.stdout.write(META + json.dumps(meta) + "\n")
sys.stdout.flush()


# ---------------------------------------------------------------- numpy GEMM
def numpy_gemm(w):
    n = int(w["params"]["n"])
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)

    def run(k):
        for _ in range(k):
            a @ b
    return measure(run)


# ---------------------------------------------------------------- PyTorch
SIZES = [784, 512, 512, 10]


def mlp():
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]))


def batch_of(n):
    torch.manual_seed(2)
    x = torch.rand(n, SIZES[0])
    y = torch.tensor([(i * 7) % 10 for i in range(n)], dtype=torch.long)
    return x, y


def optimizer(p, params):
    if p["opt"] == "sgd":
        return torch.optim.SGD(params, lr=float(p["lr"]))
    return torch.optim.Adam(params, lr=float(p["lr"]))


def stepper(model, opt):
    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def step_gemms(b):
    """The eight GEMMs of one MLP step, alone, through numpy (OpenBLAS direct): what the step
    would cost if nothing else took time. Weight-gradient products read a transposed operand."""
    # (m, k, n, A transposed, B transposed): forward x·Wᵀ, input grads g·W, weight grads gᵀ·x
    return gemms_alone([(b, 784, 512, 0, 1), (b, 512, 512, 0, 1), (b, 512, 10, 0, 1),
                        (b, 10, 512, 0, 0), (10, b, 512, 1, 0), (b, 512, 512, 0, 0), (512, b, 512, 1, 0), (512, b, 784, 1, 0)])


def gemms_alone(shapes):
    """numpy timing the products (m, k, n, A transposed, B transposed) one after the other:
    A [m, k] · B [k, n], an operand marked transposed stored the other way round and read
    through a transposed view (as BLAS gets it with a transpose flag)."""
    rng = np.random.default_rng(0)
    mats = []
    for m, k, n, ta, tb in shapes:
        a = rng.random((k, m), dtype=np.float32).T if ta else rng.random((m, k), dtype=np.float32)
        bb = rng.random((n, k), dtype=np.float32).T if tb else rng.random((k, n), dtype=np.float32)
        mats.append((a, bb))

    def run(k):
        for _ in range(k):
            for a, bb in mats:
                a @ bb
    return measure(run)


def sgemm_rate_2048():
    """GFLOP/s of numpy's n = 2048 sgemm, measured now: the floor's rate for a step row taken
    in the same minute as the row (the machine's speed drifts over minutes)."""
    rng = np.random.default_rng(1)
    a = rng.random((2048, 2048), dtype=np.float32)
    b = rng.random((2048, 2048), dtype=np.float32)
    a @ b
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    times.sort()
    return 2 * 2048 ** 3 / times[len(times) // 2] / 1e9


def f(x):
    return x * x * 3 + x * 2 + 1


# ---------------------------------------------------------------- CNN rows
def lenet():
    torch.manual_seed(1)
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


class ResBlock(torch.nn.Module if torch is not None else object):
    """out = relu(bn2(conv2(relu(bn1(conv1(x))))) + x), convs 3×3 pad 1 without bias."""

    def __init__(self, c):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + x)


def images(n, c, s):
    torch.manual_seed(2)
    return torch.rand(n, c, s, s)


def cnn_once(w):
    """A fresh model / data for the row and the function one unit runs (returning the loss on steps)."""
    p = w["params"]
    wid = w["id"]
    if wid == "lenet-step-b64":
        n = int(p["batch"])
        model = lenet()
        opt = torch.optim.Adam(model.parameters(), lr=float(p["lr"]))
        x = images(n, 1, 28)
        y = torch.tensor([(i * 7) % 10 for i in range(n)], dtype=torch.long)
        return stepper(model, opt), (x, y)
    if wid == "resblock-step-b16":
        c = int(p["channels"])
        torch.manual_seed(1)
        model = ResBlock(c).train()
        opt = torch.optim.Adam(model.parameters(), lr=float(p["lr"]))
        x = images(int(p["batch"]), c, int(p["size"]))

        def step(x):
            opt.zero_grad(set_to_none=True)
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            return loss.item()
        return step, (x,)
    c = int(p["channels"])
    x = images(int(p["batch"]), c, int(p["size"]))
    if wid == "conv-fwd":
        torch.manual_seed(3)
        wt = torch.randn(c, c, 3, 3) * math.sqrt(2 / (9 * c))

        def fwd(x):
            with torch.no_grad():
                F.conv2d(x, wt, padding=1)
        return fwd, (x,)
    if wid == "maxpool-fwd":
        def pool(x):
            with torch.no_grad():
                F.max_pool2d(x, 2)
        return pool, (x,)
    if wid == "batchnorm-step":
        bn = torch.nn.BatchNorm2d(c).train()
        params = [bn.weight, bn.bias]

        def bnstep(x):
            v = x.detach().requires_grad_()
            torch.autograd.grad(bn(v).sum(), [v, *params])
        return bnstep, (x,)
    raise RuntimeError("not a PyTorch CNN workload: " + wid)


# ---------------------------------------------------------------- sequence rows
class Block(torch.nn.Module if torch is not None else object):
    """A pre-norm transformer block: h = x + attn(ln1(x), causal), out = h + mlp(ln2(h))."""

    def __init__(self, dim, heads, hidden, seq):
        super().__init__()
        nn = torch.nn
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim))
        # True above the diagonal: query i may not attend to key j > i
        self.register_buffer("causal", torch.triu(torch.ones(seq, seq, dtype=torch.bool), 1))

    def forward(self, x):
        a = self.ln1(x)
        h = x + self.attn(a, a, a, attn_mask=self.causal, need_weights=False)[0]
        return h + self.mlp(self.ln2(h))


def attention_fn():
    """The fused attention PyTorch has: the public F.scaled_dot_product_attention (2.0 on), else
    1.13's F._scaled_dot_product_attention, the C++ kernel its nn.MultiheadAttention calls."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention, "F.scaled_dot_product_attention"
    private = F._scaled_dot_product_attention
    return (lambda q, k, v: private(q, k, v, None, 0.0, False, False)[0]), "F._scaled_dot_product_attention"


def seq_once(w):
    """A fresh model / data for a sequence row and the function one unit runs (returning the loss on steps)."""
    p = w["params"]
    wid = w["id"]
    if wid in ("lstm-step-b32", "transformer-step-b16"):
        torch.manual_seed(1)
        if wid == "lstm-step-b32":
            lstm = torch.nn.LSTM(int(p["in"]), int(p["hidden"]), batch_first=True)
            model, width = (lambda x: lstm(x)[0]), int(p["in"])
            params = list(lstm.parameters())
        else:
            block = Block(int(p["dim"]), int(p["heads"]), int(p["mlp"]), int(p["seq"])).train()
            model, width = block, int(p["dim"])
            params = list(block.parameters())
        opt = torch.optim.Adam(params, lr=float(p["lr"]))
        torch.manual_seed(2)
        x = torch.rand(int(p["batch"]), int(p["seq"]), width)

        def step(x):
            opt.zero_grad(set_to_none=True)
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            return loss.item()
        return step, (x,)
    attention, _ = attention_fn()
    torch.manual_seed(2)
    shape = (int(p["batch"]), int(p["heads"]), int(p["seq"]), int(p["d"]))
    q, k, v, g = (torch.randn(*shape) for _ in range(4))
    if wid == "attention-fwd":
        def fwd(q, k, v):
            with torch.no_grad():
                attention(q, k, v)
        return fwd, (q, k, v)
    if wid == "attention-fwdbwd":
        qkv = [t.requires_grad_() for t in (q, k, v)]

        def fwdbwd(q, k, v):
            torch.autograd.grad((attention(q, k, v) * g).sum(), qkv)
        return fwdbwd, tuple(qkv)
    raise RuntimeError("not a PyTorch sequence workload: " + wid)


def cnn_rows(w):
    """A CNN or sequence row, like the MLP steps: PyTorch at each of the job's step thread counts
    (a fresh model each), then the row's GEMMs alone through numpy and numpy's n = 2048 sgemm
    rate (the floor's), at the job's thread count, when the row lists GEMMs."""
    by = {}
    last = {}
    for n in job.get("stepThreads") or [job["threads"]]:
        set_threads(n)
        once, args = (seq_once if w["group"] == "seq" else cnn_once)(w)
        out = [None]

        def run(k):
            for _ in range(k):
                out[0] = once(*args)
        by[str(n)] = measure(run)
        if isinstance(out[0], float):
            last[str(n)] = out[0]
    set_threads(job["threads"])
    extra = {}
    if w.get("gemms"):
        extra["gemmOnlyMs"] = gemms_alone([tuple(g) for g in w["gemms"]])["median"]
        extra["floorGflops"] = sgemm_rate_2048()
    for n, v in last.items():
        extra["lastLoss" + n + "t"] = round(v, 5) if math.isfinite(v) else str(v)  # NaN is not JSON
    if w["id"].startswith("attention"):
        extra["attention"] = attention_fn()[1]
    return {"byThreads": by, "extra": extra}


def torch_run(w):
    p = w["params"]
    g = w["group"]
    wid = w["id"]
    if g == "gemm":
        n = int(p["n"])
        a, b = torch.rand(n, n), torch.rand(n, n)

        def run(k):
            for _ in range(k):
                torch.mm(a, b)
        return measure(run), None
    if g == "small":
        size = int(p["size"])
        a, b = torch.rand(size), torch.rand(size)
        if wid == "add-64":
            def run(k):
                for _ in range(k):
                    torch.add(a, b)
            return measure(run), None
        ops = int(p["ops"])
        c = torch.full((size,), 0.999)

        def chain(x):
            z = x
            for _ in range(0, ops, 2):
                z = (z + b) * c
            return z
        if wid == "chain-fwd":
            def run(k):
                with torch.no_grad():
                    for _ in range(k):
                        chain(a)
        else:
            def run(k):
                for _ in range(k):
                    x = a.detach().requires_grad_()
                    torch.autograd.grad(chain(x).sum(), x)
        return per_op(measure(run), ops), None
    if g == "scalar":
        x0 = float(p["x"])
        if wid == "scalar-grad":
            def once():
                x = torch.tensor(x0, requires_grad=True)
                return torch.autograd.grad(f(x), x)[0].item()
        else:
            def once():
                x = torch.tensor(x0, requires_grad=True)
                (d1,) = torch.autograd.grad(f(x), x, create_graph=True)
                return torch.autograd.grad(d1, x)[0].item()
        value = once()

        def run(k):
            for _ in range(k):
                once()
        return measure(run), {"value": value}
    if g == "mlp":
        model = mlp()
        params = list(model.parameters())
        x, y = batch_of(int(p["batch"]))
        if wid == "mlp-fwd":
            def once():
                with torch.no_grad():
                    F.cross_entropy(model(x), y).item()
        elif wid == "mlp-grad":
            def once():
                torch.autograd.grad(F.cross_entropy(model(x), y), params)
        else:
            def once():
                gs = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)
                s = sum((t * t).sum() for t in gs)
                torch.autograd.grad(s, params)

        def run(k):
            for _ in range(k):
                once()
        return measure(run), None
    if g == "step":
        x, y = batch_of(int(p["batch"]))
        by = {}
        for n in job.get("stepThreads") or [job["threads"]]:
            set_threads(n)
            model = mlp()
            step = stepper(model, optimizer(p, model.parameters()))

            def run(k):
                for _ in range(k):
                    step(x, y)
            by[str(n)] = measure(run)
        set_threads(job["threads"])
        extra = {"gemmOnlyMs": step_gemms(int(p["batch"]))["median"], "floorGflops": sgemm_rate_2048()}
        return None, {"byThreads": by, "extra": extra}
    if g in ("cnn", "seq"):
        return None, cnn_rows(w)
    if g == "epoch":
        m = job.get("mnist")
        if not m:
            raise RuntimeError("no MNIST data in the job")
        n = int(m["n"])
        X = torch.from_numpy(np.fromfile(m["x"], dtype=np.float32).reshape(n, 784).copy())
        Y = torch.from_numpy(np.fromfile(m["y"], dtype=np.int32).astype(np.int64))
        model = mlp()
        step = stepper(model, optimizer(p, model.parameters()))
        bs = int(p["batch"])
        gen = torch.Generator().manual_seed(3)
        last = [float("nan")]

        def epoch():
            order = torch.randperm(n, generator=gen)
            total, steps = 0.0, 0
            for s in range(0, n, bs):
                idx = order[s:s + bs]
                total += step(X[idx], Y[idx])
                steps += 1
            last[0] = total / steps

        def run(k):
            for _ in range(k):
                epoch()
        st = measure(run)
        return st, {"lastEpochLoss": round(last[0], 4)}
    raise RuntimeError("not a PyTorch workload: " + wid)


def handle(w):
    wid = w["id"]
    if w["group"] == "gemm":
        if np is None:
            emit({"workload": wid, "peer": "numpy" if PEER == "torch" else PEER, "status": "missing", "reason": "numpy: " + NUMPY_ERR})
        else:
            try:
                emit({"workload": wid, "peer": "numpy" if PEER == "torch" else PEER, "status": "ok",
                      "threads": job["threads"], "stats": numpy_gemm(w)})
            except Exception as e:  # noqa: BLE001
                emit({"workload": wid, "peer": "numpy" if PEER == "torch" else PEER, "status": "error", "reason": err_text(e)})
    if PEER != "torch":
        return
    if torch is None:
        emit({"workload": wid, "peer": "torch", "status": "missing", "reason": "torch: " + TORCH_ERR})
        return
    try:
        st, extra = torch_run(w)
        r = {"workload": wid, "peer": "torch", "status": "ok", "threads": job["threads"]}
        if w["group"] in ("step", "cnn", "seq"):
            r["byThreads"] = extra["byThreads"]
            r["extra"] = extra["extra"]
        else:
            r["stats"] = st
            if extra:
                r["extra"] = extra
        emit(r)
    except Exception as e:  # noqa: BLE001
        emit({"workload": wid, "peer": "torch", "status": "error", "reason": err_text(e)})


for line in iter(sys.stdin.readline, ""):
    if not line.strip():
        continue
    w = json.loads(line)
    handle(w)
    sys.stdout.write(DONE + w["id"] + "\n")
    sys.stdout.flush()
