#!/usr/bin/env python3
"""The Fashion-MNIST network of Ema's benchmark, trained or evaluated in PyTorch (Debian's python3-torch 1.13).

  train:    same initial weights (the .pth Ema wrote, key 'net'), same data order (Ema's order file: one line of
            training-image indices per epoch), same hyper-parameters; PyTorch's own EMA forms beside the raw weights:
            torch.optim.swa_utils.AveragedModel with an EMA avg_fn (use_buffers=True, so BatchNorm statistics are
            averaged too) and the _foreach form timm's ModelEmaV3 uses where torch has no _foreach_lerp_ (1.13),
            both with Ema's 'exp' schedule. Prints one JSON line: accuracies per epoch, times, and writes the final
            raw and EMA state dicts as .pth files (for the "train in PyTorch, deploy in .NET" check).
  evaluate: test accuracy of a state dict in a .pth (a key such as 'ema_net' or 'net', or the file itself).
"""
import argparse
import gzip
import json
import math
import time
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

MEAN, STD = 0.2860, 0.3530  # as Ema's FashionMnistData


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0:3] != b"\x00\x00\x08":
        raise SystemExit(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, prefix, subset=None):
    images = read_idx(f"{data_dir}/{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(f"{data_dir}/{prefix}-labels-idx1-ubyte.gz")
    if subset is not None:
        images, labels = images[:subset], labels[:subset]
    x = torch.from_numpy(images.copy()).to(torch.float32).div_(255).sub_(MEAN).div_(STD).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def network():
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 16, 3, padding=1)), ("bn1", nn.BatchNorm2d(16)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(16, 32, 3, padding=1)), ("bn2", nn.BatchNorm2d(32)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(32 * 7 * 7, 128)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(128, 10)),
    ]))


@torch.no_grad()
def accuracy(model, x, y, batch=500):
    model.eval()
    correct = 0
    for start in range(0, len(y), batch):
        correct += (model(x[start:start + batch]).argmax(1) == y[start:start + batch]).sum().item()
    return correct / len(y)


def exp_decay(decay, beta, step, total):
    return decay * (1 - math.exp(-(step / total) * beta))  # Ema's 'exp' (SuperGradients)


class ForeachEma:
    """timm ModelEmaV3's update over the state dict: floating tensors ema = ema * d + model * (1 - d) with _foreach
    ops (1.13 has no _foreach_lerp_), other tensors (num_batches_tracked) copied."""

    def __init__(self, model):
        self.module = network()
        self.module.load_state_dict(model.state_dict())
        self.module.requires_grad_(False)
        self.ema_float = [t for t in self.module.state_dict().values() if t.is_floating_point()]
        self.ema_other = [t for t in self.module.state_dict().values() if not t.is_floating_point()]

    @torch.no_grad()
    def update(self, model, decay):
        values = list(model.state_dict().values())
        model_float = [t for t in values if t.is_floating_point()]
        torch._foreach_mul_(self.ema_float, decay)
        torch._foreach_add_(self.ema_float, model_float, alpha=1 - decay)
        for e, m in zip(self.ema_other, (t for t in values if not t.is_floating_point())):
            e.copy_(m)


def train(a):
    torch.manual_seed(a.seed)
    x, y = load(a.data_dir, "train", a.train_subset)
    tx, ty = load(a.data_dir, "t10k", a.test_subset)
    orders = [np.array(line.split(), dtype=np.int64) for line in open(a.order).read().splitlines() if line.strip()]
    model = network()
    model.load_state_dict(torch.load(a.init, map_location="cpu")["net"], strict=True)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    total = a.epochs * (len(y) // a.batch)
    averaged = torch.optim.swa_utils.AveragedModel(
        model, use_buffers=True,
        avg_fn=lambda e, m, n: e * exp_decay(a.decay, a.beta, n.item() + 1, total) + m * (1 - exp_decay(a.decay, a.beta, n.item() + 1, total)))
    foreach = ForeachEma(model)
    loss_fn = nn.CrossEntropyLoss()
    times = {"step": 0.0, "averaged_model": 0.0, "foreach": 0.0}
    epochs = []
    step = 0
    for epoch in range(a.epochs):
        model.train()
        order = torch.from_numpy(orders[epoch])
        for b in range(len(y) // a.batch):
            idx = order[b * a.batch:(b + 1) * a.batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            t0 = time.perf_counter()
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
            t1 = time.perf_counter()
            step += 1
            averaged.update_parameters(model)
            t2 = time.perf_counter()
            foreach.update(model, exp_decay(a.decay, a.beta, step, total))
            t3 = time.perf_counter()
            times["step"] += t1 - t0
            times["averaged_model"] += t2 - t1
            times["foreach"] += t3 - t2
        epochs.append({"raw": accuracy(model, tx, ty), "averaged_model": accuracy(averaged.module, tx, ty),
                       "foreach": accuracy(foreach.module, tx, ty)})
    if a.save_prefix:
        torch.save(model.state_dict(), a.save_prefix + "raw.pth")
        torch.save(foreach.module.state_dict(), a.save_prefix + "ema.pth")
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "steps": step,
                      "epochs": epochs, "seconds": times}))


def evaluate(a):
    tx, ty = load(a.data_dir, "t10k", a.test_subset)
    state = torch.load(a.weights, map_location="cpu")
    if a.key:
        state = state[a.key]
    model = network()
    model.load_state_dict(state, strict=True)
    print(json.dumps({"accuracy": accuracy(model, tx, ty)}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data-dir", required=True)
    t.add_argument("--init", required=True)
    t.add_argument("--order", required=True)
    t.add_argument("--epochs", type=int, required=True)
    t.add_argument("--train-subset", type=int)
    t.add_argument("--test-subset", type=int)
    t.add_argument("--lr", type=float, required=True)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--decay", type=float, required=True)
    t.add_argument("--beta", type=float, default=15)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--save-prefix")
    e = sub.add_parser("evaluate")
    e.add_argument("--data-dir", required=True)
    e.add_argument("--weights", required=True)
    e.add_argument("--key")
    e.add_argument("--test-subset", type=int)
    a = p.parse_args()
    train(a) if a.command == "train" else evaluate(a)


if __name__ == "__main__":
    main()
