#!/usr/bin/python3
"""PyTorch's side of scripts/compareBatchNorm.ts (run that; it calls this with its folder).

Reads DIR/fixture.json + DIR/fixture.bin (rxtrain's initial weights, training batches, a
validation batch and rxtrain's trained state, NHWC), trains the seed's AlexNet variant
(torch_train.py's layer pattern, dropout off) from the same weights on the same batches with
SGD (lr, Nesterov momentum, weight decay as given), and writes DIR/torch.json: the training
losses, every BatchNorm layer's running_mean / running_var, the eval-mode log-probabilities and
loss on the validation batch, the loss with batch statistics (train-mode BatchNorm, no update)
on it, the eval-mode log-probabilities of rxtrain's trained state, and each trained tensor's
relative difference from rxtrain's; its trained tensors go to DIR/torch-float32-trained.npz.

With `float64` it computes in float64 and writes DIR/torch-float64.json (and its .npz), which
also measures the float32 run's trained tensors against its own: how far float32 rounding alone
carries a run. The model computes in NCHW, as PyTorch does, but flattens in NHWC order (a
permute before the flatten) so that rxtrain's fc1 weights load unchanged. One thread; needs
Debian's python3-torch.
usage: /usr/bin/python3 scripts/torch_batchnorm.py DIR [float32|float64]
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn


class NhwcFlatten(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


def alexnet(classes, in_ch, size, small):
    c = [64, 192, 384, 256, 256] if small else [96, 256, 384, 384, 256]
    fc = 1024 if small else 4096
    first = nn.Conv2d(in_ch, c[0], 5, 1, 2) if small else nn.Conv2d(in_ch, c[0], 11, 4)
    feats = nn.Sequential(
        first, nn.ReLU(), nn.BatchNorm2d(c[0]), nn.MaxPool2d(3, 2),
        nn.Conv2d(c[0], c[1], 5, padding=2), nn.ReLU(), nn.BatchNorm2d(c[1]), nn.MaxPool2d(3, 2),
        nn.Conv2d(c[1], c[2], 3, padding=1), nn.ReLU(), nn.BatchNorm2d(c[2]),
        nn.Conv2d(c[2], c[3], 3, padding=1), nn.ReLU(), nn.BatchNorm2d(c[3]),
        nn.Conv2d(c[3], c[4], 3, padding=1), nn.ReLU(), nn.BatchNorm2d(c[4]),
        nn.MaxPool2d(3, 2), NhwcFlatten())
    n = feats(torch.zeros(1, in_ch, size, size)).shape[1]
    return nn.Sequential(feats,
                         nn.Linear(n, fc), nn.ReLU(), nn.BatchNorm1d(fc),
                         nn.Linear(fc, fc), nn.ReLU(), nn.BatchNorm1d(fc),
                         nn.Linear(fc, classes), nn.LogSoftmax(dim=1))


def named_layers(net):
    """rxtrain's layer names in module order: conv1..5, fc1..3, bn1..7."""
    convs, fcs, bns = [], [], []
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            convs.append(m)
        elif isinstance(m, nn.Linear):
            fcs.append(m)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            bns.append(m)
    out = {}
    for i, m in enumerate(convs):
        out["conv%d" % (i + 1)] = m
    for i, m in enumerate(fcs):
        out["fc%d" % (i + 1)] = m
    for i, m in enumerate(bns):
        out["bn%d" % (i + 1)] = m
    return out


def load_state(net, tensors, prefix):
    layers = named_layers(net)
    with torch.no_grad():
        for key, a in tensors.items():
            if not key.startswith(prefix + "/"):
                continue
            layer, what = key[len(prefix) + 1:].split("/")
            m = layers[layer]
            t = torch.from_numpy(np.array(a)).to(torch.get_default_dtype())
            if what == "kernel":
                # rxtrain: conv [kh, kw, in, out], dense [in, out]; PyTorch: [out, in, kh, kw], [out, in].
                m.weight.copy_(t.permute(3, 2, 0, 1) if t.dim() == 4 else t.t())
            elif what == "bias":
                m.bias.copy_(t)
            elif what == "gamma":
                m.weight.copy_(t)
            elif what == "beta":
                m.bias.copy_(t)
            elif what == "movingMean":
                m.running_mean.copy_(t)
            elif what == "movingVariance":
                m.running_var.copy_(t)
            else:
                raise ValueError("unknown tensor " + key)


def to_rxtrain(m, what):
    """A PyTorch tensor of layer m in rxtrain's layout (the inverse of load_state)."""
    if what == "kernel":
        w = m.weight.detach()
        return (w.permute(2, 3, 1, 0) if w.dim() == 4 else w.t()).numpy()
    names = {"bias": "bias", "gamma": "weight", "beta": "bias", "movingMean": "running_mean", "movingVariance": "running_var"}
    return getattr(m, names[what]).detach().numpy()


def rel_err(a, b):
    """Largest |a - b| over the largest |b|, as compareBatchNorm.ts computes it."""
    m = float(np.abs(b).max())
    d = float(np.abs(a - b).max())
    return d / m if m > 0 else d


def nchw(a):
    return torch.from_numpy(np.array(a)).permute(0, 3, 1, 2).to(torch.get_default_dtype()).contiguous()


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["float32"], ["float64"]):
        sys.exit("usage: /usr/bin/python3 scripts/torch_batchnorm.py DIR [float32|float64] (DIR as written by scripts/compareBatchNorm.ts)")
    d = sys.argv[1]
    # float64: the same computation with little rounding, to tell which float32 side strays.
    dtype = torch.float64 if sys.argv[2:] == ["float64"] else torch.float32
    torch.set_default_dtype(dtype)
    torch.set_num_threads(1)
    meta = json.load(open(os.path.join(d, "fixture.json")))
    raw = open(os.path.join(d, "fixture.bin"), "rb").read()
    tensors = {}
    for t in meta["tensors"]:
        count = int(np.prod(t["shape"]))
        dt = np.float32 if t["dtype"] == "float32" else np.int32
        tensors[t["name"]] = np.frombuffer(raw, dtype=dt, count=count, offset=t["offset"]).reshape(t["shape"])
    h, w, ch = meta["inputShape"]
    small = meta["model"] == "small"
    net = alexnet(meta["classes"], ch, h, small)
    load_state(net, tensors, "init")
    opt = torch.optim.SGD(net.parameters(), lr=meta["lr"], momentum=meta["momentum"], nesterov=meta["nesterov"],
                          weight_decay=meta["weightDecay"])
    loss_fn = nn.NLLLoss()
    train_loss = []
    net.train()
    for s in range(meta["steps"]):
        x = nchw(tensors["train%d/xs" % s])
        y = torch.from_numpy(tensors["train%d/ys" % s].astype(np.int64))
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        train_loss.append(loss.item())
    vx = nchw(tensors["val/xs"])
    vy = torch.from_numpy(tensors["val/ys"].astype(np.int64))
    running = {name: {"mean": m.running_mean.tolist(), "variance": m.running_var.tolist()}
               for name, m in named_layers(net).items() if name.startswith("bn")}
    layers = named_layers(net)
    mine = {}
    weight_diff = {}
    for key, a in tensors.items():
        if key.startswith("trained/"):
            name = key[len("trained/"):]
            layer, what = name.split("/")
            mine[name] = to_rxtrain(layers[layer], what)
            weight_diff[name] = rel_err(a, mine[name])
    np.savez(os.path.join(d, "torch-%s-trained.npz" % str(dtype).split(".")[-1]), **{k.replace("/", "."): v for k, v in mine.items()})
    # The float64 run also measures the float32 run's trained tensors against its own.
    torch32 = os.path.join(d, "torch-float32-trained.npz")
    torch32_diff = None
    if dtype == torch.float64 and os.path.exists(torch32):
        with np.load(torch32) as z:
            torch32_diff = {k.replace(".", "/"): rel_err(z[k], mine[k.replace(".", "/")]) for k in z.files}
    with torch.no_grad():
        net.eval()
        lp = net(vx)
        val_loss = loss_fn(lp, vy).item()
        # Batch statistics without touching the running ones: a copy in train mode.
        probe = alexnet(meta["classes"], ch, h, small)
        probe.load_state_dict(net.state_dict())
        probe.train()
        batch_loss = loss_fn(probe(vx), vy).item()
        load_state(probe, tensors, "trained")
        probe.eval()
        cross = probe(vx)
        cross_loss = loss_fn(cross, vy).item()
    json.dump({"trainLoss": train_loss, "running": running, "valLogProbs": lp.flatten().tolist(), "valLoss": val_loss,
               "valLossBatchStats": batch_loss, "crossLogProbs": cross.flatten().tolist(), "crossLoss": cross_loss, "weightDiff": weight_diff,
               **({"torch32WeightDiff": torch32_diff} if torch32_diff is not None else {})},
              open(os.path.join(d, "torch.json" if dtype == torch.float32 else "torch-float64.json"), "w"))


if __name__ == "__main__":
    main()
