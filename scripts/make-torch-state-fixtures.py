#!/usr/bin/env python3
"""Regenerates test/fixtures/torch-state/: PyTorch models' state_dicts saved as safetensors,
with an input and PyTorch's prediction for each, so that Fluxion's tests can load the weights
into the equivalent Fluxion model and compare predictions (CI has no PyTorch, so the files
are checked in). Run from the repository root with Debian's python3-torch (1.13.x); it takes
a second and is deterministic:
    /usr/bin/python3 scripts/make-torch-state-fixtures.py

The safetensors files are written here directly (the format is an 8-byte little-endian header
length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian bytes),
because the safetensors package is not installed; torch's float32 tensors are F32 and
BatchNorm's num_batches_tracked counter is I64, as PyTorch keeps them.

    test/fixtures/torch-state/<model>.safetensors   model.state_dict() after a few training steps
    test/fixtures/torch-state/cases.json             {"torch": version, "cases": [{
        "name": <model>, "file": "<model>.safetensors", "mode": "eval",
        "input": {"shape", "dtype": "float32" | "int64", "data"}, "output": {"shape", "data"} }]}

To check the other direction (a file written by Fluxion's saveTorchState loads into PyTorch
and predicts the same), pass it: make-torch-state-fixtures.py --check <model> <file>.
"""
import json
import os
import struct
import sys
import zlib

import torch
import torch.nn as nn

OUT = os.path.join("test", "fixtures", "torch-state")
CODES = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32", torch.int64: "I64"}
DTYPES = {v: k for k, v in CODES.items()}


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def save_safetensors(path, state):
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    import numpy as np

    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        dt = DTYPES[e["dtype"]]
        arr = np.frombuffer(raw[8 + n + b : 8 + n + end], dtype=torch.empty(0, dtype=dt).numpy().dtype)
        out[name] = torch.from_numpy(arr.copy()).reshape(e["shape"])
    return out


class Sequence(nn.Module):
    """Embedding → LSTM → GRU → RNN → self-attention with a residual and LayerNorm → Linear."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 3)
        self.lstm = nn.LSTM(3, 6, batch_first=True)
        self.gru = nn.GRU(6, 4, batch_first=True)
        self.rnn = nn.RNN(4, 4, batch_first=True)
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)
        self.norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 2)

    def forward(self, ids):
        y, _ = self.lstm(self.embed(ids))
        y, _ = self.gru(y)
        y, _ = self.rnn(y)
        a, _ = self.attn(y, y, y, need_weights=False)
        return self.head(self.norm(y + a))


def models():
    """name → (model, function making an input)."""
    seed("mlp")
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    seed("cnn")
    cnn = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), nn.GroupNorm(2, 6), nn.Tanh(), nn.ConvTranspose2d(6, 3, 2, stride=2),
        nn.Flatten(), nn.Linear(3 * 4 * 4, 5),
    )
    seed("sequence")
    seq = Sequence()
    return {
        "mlp": (mlp, lambda: torch.randn(5, 4)),
        "cnn": (cnn, lambda: torch.randn(3, 1, 8, 8)),
        "sequence": (seq, lambda: torch.randint(0, 10, (2, 5))),
    }


def trained(name, model, make_input):
    """A few Adam steps, so that no weight is at its initial value and BatchNorm's statistics move."""
    seed(name + "/train")
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    model.train()
    for _ in range(3):
        out = model(make_input())
        opt.zero_grad()
        out.pow(2).mean().backward()
        opt.step()
    model.eval()
    return model


def T(t, dtype=None):
    return {"shape": list(t.shape), "dtype": dtype or str(t.dtype).replace("torch.", ""), "data": t.reshape(-1).tolist()}


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for name, (model, make_input) in models().items():
        trained(name, model, make_input)
        seed(name + "/input")
        x = make_input()
        with torch.no_grad():
            y = model(x)
        save_safetensors(os.path.join(OUT, f"{name}.safetensors"), model.state_dict())
        cases.append({"name": name, "file": f"{name}.safetensors", "mode": "eval", "input": T(x), "output": T(y)})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
        f.write(",\n".join(json.dumps(c) for c in cases))
        f.write("\n]}\n")


def check(name, path):
    """Loads a Fluxion-written file into the PyTorch model (strict) and compares predictions."""
    model, _ = models()[name]
    state = load_safetensors(path)
    model.load_state_dict(state, strict=True)
    model.eval()
    with open(os.path.join(OUT, "cases.json")) as f:
        case = next(c for c in json.load(f)["cases"] if c["name"] == name)
    dt = torch.int64 if case["input"]["dtype"] == "int64" else torch.float32
    x = torch.tensor(case["input"]["data"], dtype=dt).reshape(case["input"]["shape"])
    with torch.no_grad():
        y = model(x).reshape(-1)
    want = torch.tensor(case["output"]["data"])
    err = (y - want).abs().max().item()
    print(f"{name}: {len(state)} tensors loaded strictly into PyTorch; max |difference| of predictions {err:.3g}")
    sys.exit(0 if err < 1e-5 else 1)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        check(sys.argv[2], sys.argv[3])
    else:
        main()
