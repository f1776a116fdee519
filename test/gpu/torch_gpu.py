#!/usr/bin/env python3
"""PyTorch (CUDA) side of the GPU check: the same timings as bench/gpu/check.ts, printed as JSON.
Medians of CUDA-synchronised wall-clock times."""
import json
import time

import torch


def median_ms(fn, reps):
    fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    dev = "cuda"
    rows = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0)}
    a = torch.randn(4096, 4096, device=dev)
    b = torch.randn(4096, 4096, device=dev)
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        ms = median_ms(lambda: a @ b, 5)
        rows["gemm4096_%s_cublas" % ("tf32" if tf32 else "fp32")] = 2 * 4096 ** 3 / (ms / 1000) / 1e12
    torch.backends.cuda.matmul.allow_tf32 = False
    big = torch.randn(64 * 2 ** 20, device=dev)
    ms = median_ms(lambda: big + big, 10)
    rows["add64M_GBps"] = 3 * 4 * 64 * 2 ** 20 / (ms / 1000) / 1e9
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    for batch in (128, 1024):
        x = torch.randn(batch, 784, device=dev)
        y = torch.arange(batch, device=dev) % 10

        def step():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        rows["mlp_step_b%d_ms" % batch] = median_ms(step, 20)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
