#!/usr/bin/env python3
"""Regenerates test/fixtures/torch-optim.json: PyTorch's Adam and AdamW trajectories on a
fixed least-squares problem, in float64. Run with Debian's python3-torch:
    /usr/bin/python3 scripts/make-optim-fixtures.py
"""
import json
import torch

torch.set_default_dtype(torch.float64)
A = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [3.0, 0.0, 1.0], [-2.0, 1.0, 0.5]])
b = torch.tensor([1.0, -2.0, 0.5, 3.0])
x0 = [0.3, -0.7, 1.1]


def run(make, steps=25):
    x = torch.tensor(x0, requires_grad=True)
    opt = make([x])
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((A @ x - b) ** 2).sum()
        loss.backward()
        opt.step()
        traj.append(x.detach().tolist())
    return traj


out = {
    "problem": {"A": A.tolist(), "b": b.tolist(), "x0": x0, "loss": "sum((A x - b)^2)"},
    "torch": torch.__version__,
    "adam": {"lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-8,
             "trajectory": run(lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8))},
    "adamw": {"lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.05,
              "trajectory": run(lambda p: torch.optim.AdamW(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05))},
}
with open("test/fixtures/torch-optim.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote test/fixtures/torch-optim.json")
