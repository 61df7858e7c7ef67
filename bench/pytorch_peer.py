#!/usr/bin/env python3
"""PyTorch's own EMA update forms, timed on the shapes and thread count of the C# harness.

Run by bench/Ema.Benchmarks as a subprocess; prints one JSON object on its last line. Each form runs once per
round, in turn, so that load from other processes falls on all of them alike; medians over the rounds.
Beside the forms it times its own floor, as the harness does in its process: a flat add_ over as many values
of the EMA's dtype (12 bytes per float32 value), with the same threads, so that each side can be divided by
the memory bandwidth it actually got.
"""
import argparse
import json
import statistics
import sys
import time

import torch

DECAY = 0.999


def resnet50_floating_shapes(path):
    with open(path) as f:
        doc = json.load(f)
    shapes = [p["shape"] for p in doc["parameters"]]
    shapes += [b["shape"] for b in doc["buffers"] if b["dtype"] != "int64"]
    return shapes


def make_case(shapes, model_dtype, ema_dtype):
    gen = torch.Generator().manual_seed(1234)
    model = [torch.randn(s, generator=gen).to(model_dtype) for s in shapes]
    ema = [m.to(ema_dtype, copy=True) for m in model]
    return model, ema


def forms(model, ema, ema_dtype):
    same = all(m.dtype == ema_dtype for m in model)
    weight = torch.zeros((), dtype=ema_dtype)

    def lerp_loop():
        weight.fill_(1 - DECAY)
        for e, m in zip(ema, model):
            # lerp_ needs one dtype: a bf16 model is converted per tensor, as such a loop must.
            e.lerp_(m if same else m.to(ema_dtype), weight)

    def foreach():
        # timm's ModelEmaV3 / torch.optim.swa_utils form.
        torch._foreach_mul_(ema, DECAY)
        torch._foreach_add_(ema, model, alpha=1 - DECAY)

    def supergradients():
        # SuperGradients' ModelEMA.update: out of place, then copied back.
        for e, m in zip(ema, model):
            e.copy_(e * DECAY + (1.0 - DECAY) * m)

    return {"lerp_loop_ms": lerp_loop, "foreach_ms": foreach, "sg_ms": supergradients}


def floor(values, ema_dtype):
    acc = torch.zeros(values, dtype=ema_dtype)
    other = torch.ones(values, dtype=ema_dtype)

    def add():
        acc.add_(other)

    return add


def time_forms(fns, warmup, rounds):
    samples = {name: [] for name in fns}
    for r in range(warmup + rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            ms = (time.perf_counter() - start) * 1000
            if r >= warmup:
                samples[name].append(ms)
    return {name: statistics.median(v) for name, v in samples.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", required=True, help="resnet50_shapes.json")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--small-count", type=int, default=2000)
    ap.add_argument("--small-size", type=int, default=512)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    resnet = resnet50_floating_shapes(args.shapes)
    cases = {
        "a_resnet50_f32": (resnet, torch.float32, torch.float32),
        "b_2000x512_f32": ([[args.small_size]] * args.small_count, torch.float32, torch.float32),
        "c_resnet50_bf16_emaf32": (resnet, torch.bfloat16, torch.float32),
    }
    results = {}
    with torch.no_grad():
        for name, (shapes, model_dtype, ema_dtype) in cases.items():
            model, ema = make_case(shapes, model_dtype, ema_dtype)
            fns = forms(model, ema, ema_dtype)
            fns["floor_ms"] = floor(sum(m.numel() for m in model), ema_dtype)
            times = time_forms(fns, args.warmup, args.rounds)
            floor_ms = times.pop("floor_ms")
            results[name] = {"forms": times, "floor_ms": floor_ms}
            del model, ema, fns
    print(json.dumps({"torch": torch.__version__, "python": sys.version.split()[0],
                      "threads": torch.get_num_threads(), "cases": results}))


if __name__ == "__main__":
    main()
