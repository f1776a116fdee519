#!/usr/bin/env python3
"""Regenerates test/fixtures/torch-vision.json and test/fixtures/torch-sequence.json: forward
values and gradients of PyTorch's convolution, pooling, normalisation, padding, attention and
recurrent layers on small seeded inputs, all in float64, for Fluxion's layer tests (CI has no
PyTorch, so the fixtures are checked in). Run from the repository root with Debian's
python3-torch (1.13.x); it takes a few seconds and is deterministic:
    /usr/bin/python3 scripts/make-torch-fixtures.py

Format of both files (one case per line):
    { "torch": "<version>", "cases": [ {
        "name":    unique readable name,
        "module":  nn class name ("Conv2d", "BatchNorm1d", "LSTM", ...) or "functional:<fn>"
                   ("functional:pad", "functional:conv2d_padded", "functional:var", "functional:std",
                   "functional:erf", "functional:dot_product_attention"),
        "args":    constructor (or function) keyword arguments with PyTorch's names, exactly as
                   passed; an argument left out has PyTorch's default (e.g. MaxPool stride = kernel),
        "mode":    "train" | "eval" (every nn module case; matters for BatchNorm),
        "inputs":  [ {"shape": [...], "data": [flat row-major numbers]}, ... ],
        "state":   recurrent cases only: {"h": T} / {"h": T, "c": T} or null when none is given;
                   the states are [batch, hidden] (PyTorch's [1, batch, hidden] squeezed),
        "params":  { "<PyTorch parameter name>": T, ... } values before the forward ({} if none),
        "buffers": BatchNorm only: {"running_mean": T, "running_var": T, "num_batches_tracked": n}
                   before the forward, or null when track_running_stats=False,
        "output": T, "cotangent": T             for a single output, or
        "outputs": [T...], "cotangents": [T...], "output_names": [...]  for several,
        "grad_inputs": [T...] in the order of "inputs",
        "grad_params": { "<name>": T },
        "grad_state":  {"h": T (, "c": T)} when a state was given,
        "buffers_after": BatchNorm only, after the forward,
        "mask":    attention cases with a mask: {"shape", "data" (0/1), "true_means":
                   "not_allowed" (nn.MultiheadAttention's attn_mask) | "may_attend"
                   (functional:dot_product_attention)},
        ... } ] }
where T = {"shape": [...], "data": [...]}; a 0-d tensor has shape [] and one number. The gradients
are those of sum_i sum(outputs[i] * cotangents[i]); cotangents are seeded standard normals.

Conventions beyond PyTorch's own: per-dimension pads are recorded as "pad": [[lo, hi], ...] in
Fluxion order (first spatial dimension first); "functional:pad" also keeps PyTorch's flat list
(last dimension first) as "torch_pad". For nn.MultiheadAttention, "input_roles" says how the
inputs are used: ["qkv"] (self-attention, query = key = value = inputs[0]) or ["q", "kv"]
(key = value = inputs[1]); each gradient is the total one for that tensor.
"""
import json
import math
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.use_deterministic_algorithms(True)


def T(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def jsonable(v):
    if isinstance(v, (tuple, list)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def finite(t):
    assert torch.isfinite(t).all(), "non-finite values"


def record(case, inputs, params, state, forward, out_names=None):
    """Runs forward(inputs, state) and fills outputs, cotangents and gradients into case.
    inputs: list of leaf tensors; params: dict name -> leaf; state: dict name -> leaf or None."""
    case["inputs"] = [T(x) for x in inputs]
    if state is not None or "state" in case:
        case["state"] = {k: T(v) for k, v in state.items()} if state is not None else None
    case["params"] = {k: T(p) for k, p in params.items()}
    outs = forward(inputs, state)
    single = torch.is_tensor(outs)
    outs = [outs] if single else list(outs)
    for o in outs:
        finite(o)
    cots = [torch.randn(o.shape) for o in outs]
    loss = sum((o * c).sum() for o, c in zip(outs, cots))
    leaves = list(inputs) + list(params.values()) + (list(state.values()) if state else [])
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    grads = [torch.zeros_like(l) if g is None else g for l, g in zip(leaves, grads)]
    for l, g in zip(leaves, grads):
        assert g.shape == l.shape
        finite(g)
    if single:
        case["output"], case["cotangent"] = T(outs[0]), T(cots[0])
    else:
        case["outputs"], case["cotangents"] = [T(o) for o in outs], [T(c) for c in cots]
        case["output_names"] = out_names
    n, p = len(inputs), len(params)
    case["grad_inputs"] = [T(g) for g in grads[:n]]
    case["grad_params"] = {k: T(g) for k, g in zip(params.keys(), grads[n:n + p])}
    if state:
        case["grad_state"] = {k: T(g) for k, g in zip(state.keys(), grads[n + p:])}
    return outs


def leaf(t):
    return t.detach().clone().requires_grad_(True)


# --------------------------------------------------------------------------------------------
# vision

vision = []


def module_case(name, kind, kwargs, shapes, mode="train", init=None, forward=None, make_inputs=None):
    seed(name)
    m = getattr(nn, kind)(**kwargs)
    if init:
        init(m)
    m.train(mode == "train")
    case = {"name": name, "module": kind, "args": jsonable(kwargs), "mode": mode}
    inputs = [leaf(x) for x in (make_inputs() if make_inputs else [torch.randn(s) for s in shapes])]
    has_buffers = isinstance(m, nn.modules.batchnorm._BatchNorm)
    if has_buffers:
        case["buffers"] = bn_buffers(m)
    outs = record(case, inputs, dict(m.named_parameters()), None,
                  forward or (lambda xs, _: m(*xs)))
    if has_buffers:
        case["buffers_after"] = bn_buffers(m)
    vision.append(case)
    return m, case, inputs, outs


def bn_buffers(m):
    if m.running_mean is None:
        return None
    return {"running_mean": T(m.running_mean), "running_var": T(m.running_var),
            "num_batches_tracked": int(m.num_batches_tracked)}


def conv_len(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def tconv_len(n, k, s=1, p=0, op=0, d=1):
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def per_dim(v, nd):
    return list(v) if isinstance(v, (tuple, list)) else [v] * nd


def conv(name, nd, kwargs, shape, transposed=False):
    kind = ("ConvTranspose%dd" if transposed else "Conv%dd") % nd
    m, case, xs, outs = module_case(name, kind, kwargs, [shape])
    o = outs[0]
    assert o.shape[:2] == (shape[0], kwargs["out_channels"])
    k = per_dim(kwargs["kernel_size"], nd)
    s = per_dim(kwargs.get("stride", 1), nd)
    d = per_dim(kwargs.get("dilation", 1), nd)
    if transposed:
        p = per_dim(kwargs.get("padding", 0), nd)
        op = per_dim(kwargs.get("output_padding", 0), nd)
        want = [tconv_len(shape[2 + i], k[i], s[i], p[i], op[i], d[i]) for i in range(nd)]
    elif kwargs.get("padding") == "same":
        want = shape[2:]
    else:
        p = per_dim(kwargs.get("padding", 0), nd)
        want = [conv_len(shape[2 + i], k[i], s[i], p[i], d[i]) for i in range(nd)]
    assert list(o.shape[2:]) == want, (name, o.shape, want)
    assert ("bias" in case["params"]) == kwargs.get("bias", True)


# Conv1d: input [N, C, L]
conv("conv1d_k3", 1, dict(in_channels=3, out_channels=4, kernel_size=3), [2, 3, 9])
conv("conv1d_k3_stride2_pad1", 1, dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1), [2, 3, 9])
conv("conv1d_k4_stride3_pad2_nobias", 1, dict(in_channels=2, out_channels=3, kernel_size=4, stride=3, padding=2, bias=False), [2, 2, 10])
conv("conv1d_same_k5", 1, dict(in_channels=3, out_channels=2, kernel_size=5, padding="same"), [2, 3, 7])
conv("conv1d_same_k3_dilation2", 1, dict(in_channels=2, out_channels=3, kernel_size=3, padding="same", dilation=2), [2, 2, 8])
conv("conv1d_k3_dilation2_pad1", 1, dict(in_channels=3, out_channels=2, kernel_size=3, dilation=2, padding=1), [2, 3, 9])
conv("conv1d_groups2", 1, dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, padding=1), [2, 4, 6])
conv("conv1d_depthwise_mult2", 1, dict(in_channels=3, out_channels=6, kernel_size=3, groups=3), [2, 3, 7])

# Conv2d: input [N, C, H, W]
conv("conv2d_k3", 2, dict(in_channels=3, out_channels=4, kernel_size=3), [2, 3, 5, 6])
conv("conv2d_k3_stride2_pad1", 2, dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1), [2, 3, 6, 7])
conv("conv2d_k2x3_stride2x1_pad1x0", 2, dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(2, 1), padding=(1, 0)), [2, 2, 5, 6])
conv("conv2d_same_k3x5", 2, dict(in_channels=2, out_channels=3, kernel_size=(3, 5), padding="same"), [2, 2, 5, 6])
conv("conv2d_same_k3_dilation2x1", 2, dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", dilation=(2, 1)), [1, 2, 6, 5])
conv("conv2d_k3_dilation2_pad2x1_nobias", 2, dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=(2, 1), bias=False), [2, 2, 6, 6])
conv("conv2d_groups2_stride2", 2, dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, stride=2, padding=1), [1, 4, 6, 5])
conv("conv2d_depthwise_nobias", 2, dict(in_channels=3, out_channels=3, kernel_size=3, groups=3, padding=1, bias=False), [2, 3, 5, 5])

# Conv3d: input [N, C, D, H, W]
conv("conv3d_k3", 3, dict(in_channels=2, out_channels=3, kernel_size=3), [1, 2, 4, 5, 4])
conv("conv3d_k2x3x1_stride1x2x1_pad1x0x1", 3, dict(in_channels=2, out_channels=2, kernel_size=(2, 3, 1), stride=(1, 2, 1), padding=(1, 0, 1)), [2, 2, 3, 5, 3])
conv("conv3d_same_k3_nobias", 3, dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", bias=False), [1, 2, 3, 4, 4])
conv("conv3d_groups2_dilation2", 3, dict(in_channels=4, out_channels=2, kernel_size=2, groups=2, dilation=2, padding=1), [1, 4, 3, 4, 4])

# ConvTranspose: input [N, C, ...]; weight [in, out / groups, k...]
conv("convtranspose1d_k3", 1, dict(in_channels=3, out_channels=2, kernel_size=3), [2, 3, 5], transposed=True)
conv("convtranspose1d_k3_stride2_pad1_outpad1", 1, dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1), [2, 3, 5], transposed=True)
conv("convtranspose1d_k2_dilation3_nobias", 1, dict(in_channels=2, out_channels=3, kernel_size=2, dilation=3, bias=False), [2, 2, 4], transposed=True)
conv("convtranspose1d_groups2_stride3_outpad2", 1, dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, stride=3, output_padding=2, padding=1), [1, 4, 4], transposed=True)
conv("convtranspose2d_k3_stride2_pad1_outpad1", 2, dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1), [2, 3, 3, 4], transposed=True)
conv("convtranspose2d_k2x3_stride2x1_pad0x1", 2, dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(2, 1), padding=(0, 1)), [2, 2, 3, 3], transposed=True)
conv("convtranspose2d_dilation2_nobias", 2, dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, padding=1, bias=False), [1, 2, 4, 3], transposed=True)
conv("convtranspose2d_groups2_stride2_outpad1x0", 2, dict(in_channels=4, out_channels=4, kernel_size=3, groups=2, stride=2, output_padding=(1, 0)), [1, 4, 3, 3], transposed=True)
conv("convtranspose3d_k2_stride2", 3, dict(in_channels=2, out_channels=2, kernel_size=2, stride=2), [1, 2, 2, 3, 2], transposed=True)
conv("convtranspose3d_k3_stride2_pad1_outpad1_groups2_nobias", 3, dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2, bias=False), [1, 2, 2, 2, 3], transposed=True)
conv("convtranspose3d_k2x1x3_dilation2x1x1", 3, dict(in_channels=2, out_channels=3, kernel_size=(2, 1, 3), dilation=(2, 1, 1)), [1, 2, 2, 3, 2], transposed=True)

# Asymmetric padding: F.pad then conv2d; "pad" = [[top, bottom], [left, right]].
def conv_padded(name, pad, shape, out_channels, kernel, stride=1, dilation=1, groups=1, bias=True):
    seed(name)
    cin = shape[1]
    w = leaf(torch.randn(out_channels, cin // groups, *kernel) * 0.5)
    params = {"weight": w}
    if bias:
        params["bias"] = leaf(torch.randn(out_channels) * 0.5)
    x = leaf(torch.randn(shape))
    torch_pad = [v for lohi in reversed(pad) for v in lohi]
    case = {"name": name, "module": "functional:conv2d_padded",
            "args": {"pad": pad, "stride": stride, "dilation": dilation, "groups": groups}}

    def fwd(xs, _):
        return F.conv2d(F.pad(xs[0], torch_pad), w, params.get("bias"), stride=stride, dilation=dilation, groups=groups)

    (o,) = record(case, [x], params, None, fwd)
    hw = [shape[2 + i] + pad[i][0] + pad[i][1] for i in range(2)]
    sd, dd = per_dim(stride, 2), per_dim(dilation, 2)
    assert list(o.shape[2:]) == [conv_len(hw[i], kernel[i], sd[i], 0, dd[i]) for i in range(2)]
    if pad[0][0] == pad[0][1] and pad[1][0] == pad[1][1]:  # symmetric: same as conv2d's padding
        ref = F.conv2d(x, w, params.get("bias"), stride=stride, padding=(pad[0][0], pad[1][0]), dilation=dilation, groups=groups)
        assert torch.allclose(o, ref)
    vision.append(case)


conv_padded("conv2d_padded_0_1_x_1_2", [[0, 1], [1, 2]], [2, 2, 5, 5], 3, (3, 3))
conv_padded("conv2d_padded_2_0_x_0_1_stride2_nobias", [[2, 0], [0, 1]], [1, 3, 5, 6], 2, (3, 2), stride=2, bias=False)
conv_padded("conv2d_padded_1_2_x_2_1_dilation2_groups2", [[1, 2], [2, 1]], [1, 4, 5, 5], 2, (2, 3), dilation=2, groups=2)
conv_padded("conv2d_padded_symmetric_1_1_x_2_2", [[1, 1], [2, 2]], [1, 2, 4, 4], 2, (3, 3))

# Pooling
module_case("maxpool1d_k3", "MaxPool1d", dict(kernel_size=3), [[2, 3, 10]])
module_case("maxpool1d_k3_stride2_pad1", "MaxPool1d", dict(kernel_size=3, stride=2, padding=1), [[2, 3, 9]])
module_case("maxpool1d_k2_stride1", "MaxPool1d", dict(kernel_size=2, stride=1), [[2, 2, 6]])
module_case("maxpool2d_k2", "MaxPool2d", dict(kernel_size=2), [[2, 3, 5, 6]])
module_case("maxpool2d_k3x2_stride2x1_pad1", "MaxPool2d", dict(kernel_size=(3, 2), stride=(2, 1), padding=1), [[2, 2, 5, 5]])
module_case("maxpool2d_k3_stride2", "MaxPool2d", dict(kernel_size=3, stride=2), [[1, 2, 7, 6]])
module_case("maxpool3d_k2", "MaxPool3d", dict(kernel_size=2), [[1, 2, 4, 5, 4]])
module_case("maxpool3d_k3_stride2_pad1", "MaxPool3d", dict(kernel_size=3, stride=2, padding=1), [[1, 2, 4, 5, 3]])
module_case("avgpool1d_k3", "AvgPool1d", dict(kernel_size=3), [[2, 3, 10]])
module_case("avgpool1d_k3_stride2_pad1", "AvgPool1d", dict(kernel_size=3, stride=2, padding=1), [[2, 3, 9]])
module_case("avgpool2d_k2", "AvgPool2d", dict(kernel_size=2), [[2, 3, 5, 6]])
module_case("avgpool2d_k3x2_stride2x1_pad1", "AvgPool2d", dict(kernel_size=(3, 2), stride=(2, 1), padding=1), [[2, 2, 5, 5]])
module_case("avgpool3d_k2", "AvgPool3d", dict(kernel_size=2), [[1, 2, 4, 5, 4]])
module_case("avgpool3d_k3_stride2_pad1", "AvgPool3d", dict(kernel_size=3, stride=2, padding=1), [[1, 2, 4, 5, 3]])
# count_include_pad=True: a padded border window divides by the full kernel volume
_, _, xs, outs = module_case("avgpool1d_k3_stride3_pad1_border", "AvgPool1d", dict(kernel_size=3, stride=3, padding=1), [[1, 1, 5]])
assert torch.allclose(outs[0][0, 0, 0], xs[0][0, 0, :2].sum() / 3)
module_case("adaptiveavgpool1d_7_to_3", "AdaptiveAvgPool1d", dict(output_size=3), [[2, 3, 7]])
module_case("adaptiveavgpool1d_5_to_3", "AdaptiveAvgPool1d", dict(output_size=3), [[2, 2, 5]])
module_case("adaptiveavgpool1d_global", "AdaptiveAvgPool1d", dict(output_size=1), [[2, 3, 6]])
module_case("adaptiveavgpool2d_5x7_to_3x4", "AdaptiveAvgPool2d", dict(output_size=(3, 4)), [[2, 2, 5, 7]])
module_case("adaptiveavgpool2d_5x5_to_3", "AdaptiveAvgPool2d", dict(output_size=3), [[1, 3, 5, 5]])
module_case("adaptiveavgpool2d_global", "AdaptiveAvgPool2d", dict(output_size=1), [[2, 3, 4, 5]])
module_case("adaptivemaxpool1d_7_to_3", "AdaptiveMaxPool1d", dict(output_size=3), [[2, 3, 7]])
module_case("adaptivemaxpool1d_5_to_3", "AdaptiveMaxPool1d", dict(output_size=3), [[2, 2, 5]])
module_case("adaptivemaxpool1d_global", "AdaptiveMaxPool1d", dict(output_size=1), [[2, 3, 6]])
module_case("adaptivemaxpool2d_5x7_to_3x4", "AdaptiveMaxPool2d", dict(output_size=(3, 4)), [[2, 2, 5, 7]])
module_case("adaptivemaxpool2d_5x5_to_3", "AdaptiveMaxPool2d", dict(output_size=3), [[1, 3, 5, 5]])
module_case("adaptivemaxpool2d_global", "AdaptiveMaxPool2d", dict(output_size=1), [[2, 3, 4, 5]])
# adaptive windows: start = floor(i * n / out), end = ceil((i + 1) * n / out)
_, _, xs, outs = module_case("adaptiveavgpool1d_5_to_3_check", "AdaptiveAvgPool1d", dict(output_size=3), [[1, 1, 5]])
x = xs[0][0, 0]
assert torch.allclose(outs[0][0, 0], torch.stack([x[0:2].mean(), x[1:4].mean(), x[3:5].mean()]))
vision.pop()  # the check case is not kept


# Normalisation: non-trivial affine parameters and running statistics
def norm_init(running=True):
    def init(m):
        with torch.no_grad():
            if getattr(m, "weight", None) is not None:
                m.weight.copy_(torch.rand(m.weight.shape) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.5)
            if running and getattr(m, "running_mean", None) is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape) * 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape) * 1.5 + 0.5)
                m.num_batches_tracked.fill_(3)
    return init


def bn(name, kind, kwargs, shape, mode):
    m, case, xs, outs = module_case(name, kind, kwargs, [shape], mode=mode, init=norm_init())
    x = xs[0]
    dims = [0] + list(range(2, x.dim()))
    cshape = [1, -1] + [1] * (x.dim() - 2)
    track = kwargs.get("track_running_stats", True)
    if mode == "train" or not track:
        mean, var = x.mean(dims), x.var(dims, unbiased=False)
    else:
        mean, var = (torch.tensor(case["buffers"][k]["data"]) for k in ("running_mean", "running_var"))
    y = (x - mean.reshape(cshape)) / torch.sqrt(var.reshape(cshape) + kwargs.get("eps", 1e-5))
    if kwargs.get("affine", True):
        y = y * m.weight.reshape(cshape) + m.bias.reshape(cshape)
    assert torch.allclose(outs[0], y)
    if track:
        before, after = case["buffers"], case["buffers_after"]
        if mode == "train":
            mom = kwargs.get("momentum", 0.1)
            n = x.numel() / x.shape[1]
            rm = (1 - mom) * torch.tensor(before["running_mean"]["data"]) + mom * mean
            rv = (1 - mom) * torch.tensor(before["running_var"]["data"]) + mom * var * n / (n - 1)
            assert torch.allclose(torch.tensor(after["running_mean"]["data"]), rm)
            assert torch.allclose(torch.tensor(after["running_var"]["data"]), rv)
            assert after["num_batches_tracked"] == before["num_batches_tracked"] + 1
        else:
            assert after == before
    else:
        assert case["buffers"] is None and case["buffers_after"] is None


bn("batchnorm1d_nc_train", "BatchNorm1d", dict(num_features=4), [6, 4], "train")
bn("batchnorm1d_nc_train_momentum0.3", "BatchNorm1d", dict(num_features=4, momentum=0.3), [5, 4], "train")
bn("batchnorm1d_nc_eval", "BatchNorm1d", dict(num_features=4), [6, 4], "eval")
bn("batchnorm1d_ncl_train", "BatchNorm1d", dict(num_features=3), [4, 3, 5], "train")
bn("batchnorm1d_ncl_train_momentum0.25_eps1e-3", "BatchNorm1d", dict(num_features=3, momentum=0.25, eps=1e-3), [3, 3, 4], "train")
bn("batchnorm1d_ncl_eval", "BatchNorm1d", dict(num_features=3), [4, 3, 5], "eval")
bn("batchnorm1d_ncl_train_noaffine", "BatchNorm1d", dict(num_features=3, affine=False), [4, 3, 5], "train")
bn("batchnorm1d_nc_train_notrack", "BatchNorm1d", dict(num_features=4, track_running_stats=False), [6, 4], "train")
bn("batchnorm1d_nc_eval_notrack", "BatchNorm1d", dict(num_features=4, track_running_stats=False), [6, 4], "eval")
bn("batchnorm2d_train", "BatchNorm2d", dict(num_features=2), [3, 2, 4, 5], "train")
bn("batchnorm2d_train_momentum0.5", "BatchNorm2d", dict(num_features=3, momentum=0.5), [2, 3, 3, 4], "train")
bn("batchnorm2d_eval", "BatchNorm2d", dict(num_features=2), [3, 2, 4, 5], "eval")
bn("batchnorm2d_eval_noaffine_eps1e-3", "BatchNorm2d", dict(num_features=2, affine=False, eps=1e-3), [3, 2, 4, 5], "eval")
bn("batchnorm2d_train_noaffine", "BatchNorm2d", dict(num_features=2, affine=False), [3, 2, 4, 5], "train")
bn("batchnorm2d_train_notrack", "BatchNorm2d", dict(num_features=2, track_running_stats=False), [3, 2, 3, 4], "train")
bn("batchnorm2d_eval_notrack", "BatchNorm2d", dict(num_features=2, track_running_stats=False), [3, 2, 3, 4], "eval")

module_case("layernorm_last1", "LayerNorm", dict(normalized_shape=5), [[2, 3, 5]], init=norm_init())
module_case("layernorm_last1_eps1e-3", "LayerNorm", dict(normalized_shape=[6], eps=1e-3), [[4, 6]], init=norm_init())
module_case("layernorm_last2", "LayerNorm", dict(normalized_shape=[4, 5]), [[2, 4, 5]], init=norm_init())
module_case("layernorm_last1_noaffine", "LayerNorm", dict(normalized_shape=5, elementwise_affine=False), [[2, 3, 5]])
module_case("layernorm_last2_noaffine_eps1e-2", "LayerNorm", dict(normalized_shape=[3, 4], elementwise_affine=False, eps=1e-2), [[2, 3, 4]])

module_case("groupnorm_2groups_of_3", "GroupNorm", dict(num_groups=2, num_channels=6), [[2, 6, 3, 4]], init=norm_init())
module_case("groupnorm_1group", "GroupNorm", dict(num_groups=1, num_channels=4), [[2, 4, 3, 3]], init=norm_init())
module_case("groupnorm_groups_eq_channels", "GroupNorm", dict(num_groups=3, num_channels=3), [[2, 3, 4, 4]], init=norm_init())
module_case("groupnorm_ncl_2groups_eps1e-3", "GroupNorm", dict(num_groups=2, num_channels=4, eps=1e-3), [[2, 4, 5]], init=norm_init())
module_case("groupnorm_2groups_noaffine", "GroupNorm", dict(num_groups=2, num_channels=4, affine=False), [[2, 4, 3, 3]])
module_case("instancenorm2d_affine", "InstanceNorm2d", dict(num_features=3, affine=True), [[2, 3, 4, 5]], init=norm_init())
module_case("instancenorm2d_affine_eval", "InstanceNorm2d", dict(num_features=3, affine=True), [[2, 3, 4, 5]], mode="eval", init=norm_init())
module_case("instancenorm2d_noaffine", "InstanceNorm2d", dict(num_features=2), [[2, 2, 4, 4]])


# functional:pad
def pad_case(name, shape, pad, mode, value=None):
    seed(name)
    x = leaf(torch.randn(shape))
    torch_pad = [v for lohi in reversed(pad) for v in lohi]
    args = {"pad": pad, "torch_pad": torch_pad, "mode": mode}
    if value is not None:
        args["value"] = value
    case = {"name": name, "module": "functional:pad", "args": args}
    kw = {"value": value} if value is not None else {}
    (o,) = record(case, [x], {}, None, lambda xs, _: F.pad(xs[0], torch_pad, mode=mode, **kw))
    assert list(o.shape) == shape[:2] + [shape[2 + i] + sum(pad[i]) for i in range(len(pad))]
    vision.append(case)


pad_case("pad1d_constant_1_2_value0.5", [2, 3, 5], [[1, 2]], "constant", 0.5)
pad_case("pad1d_constant_0_3", [1, 2, 4], [[0, 3]], "constant")
pad_case("pad1d_reflect_2_1", [2, 2, 5], [[2, 1]], "reflect")
pad_case("pad1d_replicate_1_3", [2, 2, 4], [[1, 3]], "replicate")
pad_case("pad2d_constant_1_2_x_0_3_value-1", [1, 2, 4, 5], [[1, 2], [0, 3]], "constant", -1.0)
pad_case("pad2d_reflect_2_1_x_1_2", [1, 2, 4, 5], [[2, 1], [1, 2]], "reflect")
pad_case("pad2d_reflect_1_1_x_0_3", [2, 1, 3, 4], [[1, 1], [0, 3]], "reflect")
pad_case("pad2d_replicate_0_2_x_3_1", [1, 2, 3, 4], [[0, 2], [3, 1]], "replicate")
pad_case("pad3d_constant_1_0_x_0_1_x_2_1_value0.25", [1, 2, 3, 3, 4], [[1, 0], [0, 1], [2, 1]], "constant", 0.25)
pad_case("pad3d_reflect_1_1_x_2_0_x_0_1", [1, 2, 3, 4, 3], [[1, 1], [2, 0], [0, 1]], "reflect")
pad_case("pad3d_replicate_2_1_x_0_1_x_1_2", [1, 1, 3, 3, 4], [[2, 1], [0, 1], [1, 2]], "replicate")
# reflect excludes the edge element
_r = F.pad(torch.arange(4.0).reshape(1, 1, 4), [2, 1], mode="reflect")
assert _r.reshape(-1).tolist() == [2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0]


# functional:var / functional:std: torch.var(x, dim, correction=, keepdim=)
def reduce_case(name, fn, shape, dim, correction, keepdim, via_unbiased=False):
    seed(name)
    x = leaf(torch.randn(shape))
    args = {"dim": dim, "correction": correction, "keepdim": keepdim}
    f = getattr(torch, fn)
    if via_unbiased:
        args["unbiased"] = correction == 1
        fwd = lambda xs, _: f(xs[0], dim, unbiased=correction == 1, keepdim=keepdim)
    else:
        fwd = lambda xs, _: f(xs[0], dim, correction=correction, keepdim=keepdim)
    case = {"name": name, "module": "functional:" + fn, "args": args}
    (o,) = record(case, [x], {}, None, fwd)
    dims = range(x.dim()) if dim is None else ([dim] if isinstance(dim, int) else dim)
    n = 1
    for d in dims:
        n *= x.shape[d]
    keep_dims = list(range(x.dim())) if dim is None else dims
    ref = ((x - x.mean(list(keep_dims), keepdim=True)) ** 2).sum(list(keep_dims), keepdim=keepdim) / (n - correction)
    if fn == "std":
        ref = ref.sqrt()
    assert torch.allclose(o, ref)
    vision.append(case)


reduce_case("var_dim1", "var", [3, 4, 5], 1, 1, False)
reduce_case("var_dim-1_keepdim_correction0", "var", [3, 4, 5], -1, 0, True)
reduce_case("var_dims0_2_unbiased", "var", [3, 4, 5], [0, 2], 1, False, via_unbiased=True)
reduce_case("var_all_correction2", "var", [3, 4], None, 2, False)
reduce_case("var_all_keepdim_biased", "var", [2, 3, 4], None, 0, True, via_unbiased=True)
reduce_case("std_dim0", "std", [4, 5], 0, 1, False)
reduce_case("std_dims1_2_keepdim_correction0", "std", [2, 3, 4], [1, 2], 0, True)
reduce_case("std_all", "std", [3, 5], None, 1, False)


def erf_case(name, x):
    x = leaf(x)
    case = {"name": name, "module": "functional:erf", "args": {}}
    record(case, [x], {}, None, lambda xs, _: torch.erf(xs[0]))
    vision.append(case)


seed("erf_range")
erf_case("erf_range", torch.cat([torch.linspace(-4, 4, 33), torch.tensor([0.0, 1e-8, -1e-8, 6.0, -6.0])]))
erf_case("erf_randn", torch.randn(3, 7) * 1.5)

module_case("upsample_nearest_scale2", "Upsample", dict(scale_factor=2, mode="nearest"), [[2, 2, 3, 4]])
module_case("upsample_nearest_scale3", "Upsample", dict(scale_factor=3, mode="nearest"), [[1, 2, 2, 3]])
module_case("upsample_nearest_scale2x3", "Upsample", dict(scale_factor=(2, 3), mode="nearest"), [[1, 2, 3, 2]])
module_case("upsample_bilinear_scale2", "Upsample", dict(scale_factor=2, mode="bilinear", align_corners=False), [[2, 2, 3, 4]])
module_case("upsample_bilinear_scale2_1x1x5x3", "Upsample", dict(scale_factor=2, mode="bilinear", align_corners=False), [[1, 1, 5, 3]])
module_case("pixelshuffle_r2", "PixelShuffle", dict(upscale_factor=2), [[2, 8, 3, 3]])
module_case("pixelshuffle_r3", "PixelShuffle", dict(upscale_factor=3), [[1, 18, 2, 2]])
# PixelShuffle: out[n, c, h*r + i, w*r + j] = in[n, c*r*r + i*r + j, h, w]
_p = nn.PixelShuffle(2)(torch.arange(8.0).reshape(1, 4, 1, 2))
assert _p.reshape(-1).tolist() == [0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]

# --------------------------------------------------------------------------------------------
# sequence

sequence = []
B, L, IN, H = 2, 5, 3, 4


def recurrent_case(name, kind, kwargs, x_shape, with_state):
    seed(name)
    m = getattr(nn, kind)(**kwargs)
    m.train()
    x = leaf(torch.randn(x_shape))
    cell = kind.endswith("Cell")
    b, hid = x_shape[0], kwargs["hidden_size"]
    keys = ["h", "c"] if kind.startswith("LSTM") else ["h"]
    state = {k: leaf(torch.randn(b, hid) * 0.5) for k in keys} if with_state else None
    case = {"name": name, "module": kind, "args": jsonable(kwargs), "mode": "train", "state": None}

    def fwd(xs, st):
        if cell:
            if st is None:
                return m(xs[0])
            return m(xs[0], (st["h"], st["c"]) if kind == "LSTMCell" else st["h"])
        s0 = None if st is None else tuple(st[k].unsqueeze(0) for k in keys)
        if s0 is not None and kind != "LSTM":
            s0 = s0[0]
        out, hn = m(xs[0], s0)
        if kind == "LSTM":
            return out, hn[0].squeeze(0), hn[1].squeeze(0)
        return out, hn.squeeze(0)

    names = None if cell and kind != "LSTMCell" else (["h", "c"] if cell else ["output", "h_n"] + (["c_n"] if kind == "LSTM" else []))
    params = dict(m.named_parameters())
    outs = record(case, [x], params, state, fwd, names)
    want_params = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if kwargs.get("bias", True) else [])
    if not cell:
        want_params = [p + "_l0" for p in want_params]
        assert list(outs[0].shape) == [b, x_shape[1], hid]
        assert torch.allclose(outs[0][:, -1], outs[1])
    assert list(params.keys()) == want_params, list(params.keys())
    manual_check(kind, kwargs, params, x, state, outs, cell)
    sequence.append(case)


def manual_check(kind, kwargs, params, x, state, outs, cell):
    """Recomputes the recurrence by hand, documenting the gate order in the weight rows:
    LSTM [i, f, g, o]: c' = f*c + i*g, h' = o*tanh(c');
    GRU  [r, z, n]: n = tanh(W_in x + b_in + r*(W_hn h + b_hn)), h' = (1-z)*n + z*h;
    RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh)."""
    sfx = "" if cell else "_l0"
    W, U = params["weight_ih" + sfx], params["weight_hh" + sfx]
    bi = params.get("bias_ih" + sfx, torch.zeros(W.shape[0]))
    bh = params.get("bias_hh" + sfx, torch.zeros(W.shape[0]))
    b, hid = x.shape[0], kwargs["hidden_size"]
    h = state["h"] if state else torch.zeros(b, hid)
    c = state["c"] if state and "c" in state else torch.zeros(b, hid)
    steps = [x] if cell else [x[:, t] for t in range(x.shape[1])]
    hs = []
    for xt in steps:
        gi, gh = xt @ W.T + bi, h @ U.T + bh
        if kind.startswith("LSTM"):
            i, f, g, o = (gi + gh).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        elif kind.startswith("GRU"):
            ir, iz, inn = gi.chunk(3, 1)
            hr, hz, hn = gh.chunk(3, 1)
            r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
            n = torch.tanh(inn + r * hn)
            h = (1 - z) * n + z * h
        else:
            act = torch.relu if kwargs.get("nonlinearity", "tanh") == "relu" else torch.tanh
            h = act(gi + gh)
        hs.append(h)
    if cell:
        assert torch.allclose(outs[0], h)
        if kind == "LSTMCell":
            assert torch.allclose(outs[1], c)
    else:
        assert torch.allclose(outs[0], torch.stack(hs, 1))
        assert torch.allclose(outs[1], h)
        if kind == "LSTM":
            assert torch.allclose(outs[2], c)


for kind in ["RNN", "LSTM", "GRU"]:
    variants = [("", {})]
    if kind == "RNN":
        variants = [("_tanh", {"nonlinearity": "tanh"}), ("_relu", {"nonlinearity": "relu"})]
    for sfx, extra in variants:
        kw = dict(input_size=IN, hidden_size=H, batch_first=True, **extra)
        recurrent_case(kind.lower() + sfx, kind, kw, [B, L, IN], False)
        recurrent_case(kind.lower() + sfx + "_state", kind, kw, [B, L, IN], True)
    kw = dict(input_size=IN, hidden_size=H, batch_first=True, bias=False)
    recurrent_case(kind.lower() + "_nobias_state", kind, kw, [B, L, IN], True)
    recurrent_case(kind.lower() + "_batch3_seq2_in2_hidden3", kind, dict(input_size=2, hidden_size=3, batch_first=True), [3, 2, 2], True)

for kind in ["RNNCell", "LSTMCell", "GRUCell"]:
    kw = dict(input_size=IN, hidden_size=H)
    recurrent_case(kind.lower(), kind, kw, [B, IN], False)
    recurrent_case(kind.lower() + "_state", kind, kw, [B, IN], True)
    recurrent_case(kind.lower() + "_nobias_state", kind, dict(kw, bias=False), [B, IN], True)
recurrent_case("rnncell_relu_state", "RNNCell", dict(input_size=IN, hidden_size=H, nonlinearity="relu"), [3, IN], True)


def sdpa(q, k, v, mask=None, causal=False, scale=None):
    """Dot-product attention with torch ops; mask True = may attend."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    add = torch.zeros(s.shape[-2:])
    if causal:
        tri = torch.ones(s.shape[-2], s.shape[-1], dtype=torch.bool).tril()
        add = add.masked_fill(~tri, float("-inf"))
    if mask is not None:
        add = add + torch.zeros(mask.shape).masked_fill(~mask, float("-inf"))
    return torch.softmax(s + add, -1) @ v


def mha_case(name, E, heads, Lq, Lk, bias, causal, cross):
    seed(name)
    m = nn.MultiheadAttention(E, heads, batch_first=True, bias=bias)
    if bias:  # PyTorch initialises the biases to zero; make them visible
        with torch.no_grad():
            m.in_proj_bias.normal_(0, 0.3)
            m.out_proj.bias.normal_(0, 0.3)
    m.train()
    q = leaf(torch.randn(B, Lq, E))
    inputs = [q, leaf(torch.randn(B, Lk, E))] if cross else [q]
    mask = torch.ones(Lq, Lk, dtype=torch.bool).triu(1) if causal else None
    args = {"embed_dim": E, "num_heads": heads, "batch_first": True, "bias": bias}
    case = {"name": name, "module": "MultiheadAttention", "args": args, "mode": "train",
            "input_roles": ["q", "kv"] if cross else ["qkv"], "causal": causal, "need_weights": False}
    if causal:
        case["mask"] = dict(T(mask.to(torch.int64)), true_means="not_allowed")

    def fwd(xs, _):
        kv = xs[1] if cross else xs[0]
        out, w = m(xs[0], kv, kv, attn_mask=mask, need_weights=False)
        assert w is None
        return out

    params = dict(m.named_parameters())
    want = ["in_proj_weight"] + (["in_proj_bias"] if bias else []) + ["out_proj.weight"] + (["out_proj.bias"] if bias else [])
    assert list(params.keys()) == want, list(params.keys())
    (o,) = record(case, inputs, params, None, fwd)
    # by hand: q/k/v projections are the row blocks of in_proj_weight, heads split the feature dim
    kv = inputs[-1]
    Wq, Wk, Wv = params["in_proj_weight"].chunk(3, 0)
    bq, bk, bv = params["in_proj_bias"].chunk(3, 0) if bias else (None, None, None)
    split = lambda t: t.reshape(B, t.shape[1], heads, E // heads).transpose(1, 2)
    a = sdpa(split(F.linear(q, Wq, bq)), split(F.linear(kv, Wk, bk)), split(F.linear(kv, Wv, bv)),
             mask=None if mask is None else ~mask)
    ref = F.linear(a.transpose(1, 2).reshape(B, Lq, E), params["out_proj.weight"], params.get("out_proj.bias"))
    assert torch.allclose(o, ref)
    sequence.append(case)


mha_case("mha_self", 8, 2, 4, 4, True, False, False)
mha_case("mha_self_causal", 8, 2, 4, 4, True, True, False)
mha_case("mha_self_nobias", 8, 2, 4, 4, False, False, False)
mha_case("mha_self_causal_nobias_4heads", 8, 4, 5, 5, False, True, False)
mha_case("mha_cross", 6, 3, 3, 5, True, False, True)
mha_case("mha_cross_causal", 6, 3, 3, 5, True, True, True)
mha_case("mha_cross_nobias", 6, 2, 4, 2, False, False, True)


def dpa_case(name, qs, ks, vs, mask_shape=None, causal=False, scale=None):
    seed(name)
    q, k, v = leaf(torch.randn(qs)), leaf(torch.randn(ks)), leaf(torch.randn(vs))
    mask = None
    if mask_shape:
        mask = torch.rand(mask_shape) < 0.6
        mask[..., 0] = True  # every query row keeps at least one key
    case = {"name": name, "module": "functional:dot_product_attention",
            "args": {"causal": causal, "scale": scale}}
    if mask is not None:
        case["mask"] = dict(T(mask.to(torch.int64)), true_means="may_attend")
    (o,) = record(case, [q, k, v], {}, None, lambda xs, _: sdpa(*xs, mask=mask, causal=causal, scale=scale))
    assert list(o.shape) == list(torch.broadcast_shapes(qs[:-2], ks[:-2])) + [qs[-2], vs[-1]]
    if causal:
        tri = torch.ones(qs[-2], ks[-2], dtype=torch.bool).tril()
        assert torch.allclose(o, sdpa(q, k, v, mask=tri if mask is None else mask & tri, scale=scale))
    if mask is None and not causal:  # an all-true mask changes nothing
        assert torch.allclose(o, sdpa(q, k, v, mask=torch.ones(qs[-2], ks[-2], dtype=torch.bool), scale=scale))
    sequence.append(case)


dpa_case("dpa_batch_heads", [2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3])
dpa_case("dpa_3d", [2, 3, 4], [2, 4, 4], [2, 4, 5])
dpa_case("dpa_mask_broadcast_heads", [2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3], mask_shape=[2, 1, 3, 5])
dpa_case("dpa_mask_full", [2, 2, 3, 4], [2, 2, 4, 4], [2, 2, 4, 2], mask_shape=[2, 2, 3, 4])
dpa_case("dpa_mask_2d", [2, 2, 4, 3], [2, 2, 3, 3], [2, 2, 3, 3], mask_shape=[4, 3])
dpa_case("dpa_causal", [2, 2, 4, 3], [2, 2, 4, 3], [2, 2, 4, 3], causal=True)
dpa_case("dpa_causal_3d", [2, 5, 4], [2, 5, 4], [2, 5, 2], causal=True)
dpa_case("dpa_scale0.3", [2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3], scale=0.3)
dpa_case("dpa_mask_scale2", [1, 3, 3, 2], [1, 3, 4, 2], [1, 3, 4, 2], mask_shape=[1, 1, 3, 4], scale=2.0)

# --------------------------------------------------------------------------------------------


def write(path, cases):
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    with open(path, "w") as f:
        f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        f.write("\n]}\n")
    print("wrote %s (%d cases)" % (path, len(cases)))


write("test/fixtures/torch-vision.json", vision)
write("test/fixtures/torch-sequence.json", sequence)
