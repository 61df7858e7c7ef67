#!/usr/bin/python3
"""Reference values for the swa, bema and half_life schedules, for Switch EMA and BatchScale, and for update_bn.

Each formula is written the way its peer computes it, in float64 with numpy: PyTorch AveragedModel's default
running mean (avg + (p - avg) / (n + 1), n the models averaged so far), TRL's BEMACallback (Block & Zhang 2025:
ema = (1 - beta) ema + beta theta_t, bema = ema + alpha (theta_t - theta_0), beta = (lag + gamma t)^-ema_power,
alpha = (lag + gamma t)^-bias_power), torchtitan's half-life (0.5 ** (1 / (half_life * step))), Keras' EMA overwrite
and ema-pytorch's update_model_with_ema (model = lerp(model, ema, 1 - beta)), and Busbridge et al.'s decay**scale.
The BatchNorm statistics come from PyTorch's own torch.optim.swa_utils.update_bn. Run with Debian's python3
(numpy; python3-torch for the update_bn part):

    /usr/bin/python3 tests/reference/averaging_reference.py

It rewrites averaging_reference.json next to this script.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def swa_decay(step, swa_start):
    n = step - swa_start
    return 0.0 if n <= 1 else (n - 1) / n


def half_life_decay(decay, step, half_life):
    return 0.0 if step <= 0 else min(decay, 0.5 ** (1 / (half_life * step)))


def bema_beta_alpha(step, ema_power, bias_power, lag, multiplier, update_after):
    t = step - update_after
    if t <= 0:
        return 1.0, 0.0
    base = lag + multiplier * t
    return min(1.0, base ** -ema_power), base ** -bias_power


def schedule_cases():
    cases = []
    steps = [0, 1, 2, 3, 4, 5, 10, 57, 100, 1000, 4321, 100000]
    for swa_start in [0, 1, 5, 100]:
        for step in steps:
            cases.append({"decay_type": "swa", "decay": 0.9999, "swa_start": swa_start, "step": step,
                          "total_steps": 10000000, "expected": swa_decay(step, swa_start)})
    for decay in [0.9999, 0.99]:
        for half_life in [0.05, 0.01, 0.5, 1.0]:
            for step in steps:
                cases.append({"decay_type": "half_life", "decay": decay, "half_life": half_life, "step": step,
                              "total_steps": 10000000, "expected": half_life_decay(decay, step, half_life)})
    for params in [(0.5, 0.2, 10.0, 1.0, 0), (0.5, 0.4, 10.0, 1.0, 0), (0.7, 0.2, 1.0, 0.1, 5), (0.5, 0.0, 0.5, 2.0, 100)]:
        ema_power, bias_power, lag, multiplier, update_after = params
        for step in steps:
            beta, alpha = bema_beta_alpha(step, *params)
            cases.append({"decay_type": "bema", "decay": 0.9999, "ema_power": ema_power, "bias_power": bias_power,
                          "lag": lag, "multiplier": multiplier, "update_after": update_after, "step": step,
                          "total_steps": 10000000, "expected": 1.0 - beta, "correction": alpha})
    return cases


def trajectory(kind, params, options, initial, deltas):
    """What the EMA hands out after each step, the model moving by deltas[t] before step t + 1's update."""
    update_every = options.get("update_every", 1)
    batch_scale = options.get("batch_scale", 1.0)
    switch_every = options.get("switch_every", 0)
    switch_blend = options.get("switch_blend", 1.0)
    model = np.array(initial, dtype=np.float64)
    ema = model.copy()        # the running average (mu)
    anchor = model.copy()     # bema's theta_0
    handed = model.copy()
    n_averaged = 0            # AveragedModel's counter, for the swa cross-check
    swa_mean = None
    out = []
    for index, delta in enumerate(deltas):
        step = index + 1
        model = model + np.array(delta, dtype=np.float64)
        if step % update_every == 0:
            if kind == "bema":
                beta, alpha = bema_beta_alpha(step, **params)
                if step <= params["update_after"]:
                    anchor = model.copy()
                    ema = model.copy()
                else:
                    beta = 1 - (1 - beta) ** (update_every * batch_scale)
                    ema = (1 - beta) * ema + beta * model
                handed = ema + alpha * (model - anchor)
            else:
                if kind == "swa":
                    d = swa_decay(step, params["swa_start"])
                    # AveragedModel: copy first, then avg + (p - avg) / (n + 1).
                    if step <= params["swa_start"]:
                        swa_mean, n_averaged = None, 0
                    elif swa_mean is None:
                        swa_mean, n_averaged = model.copy(), 1
                    else:
                        swa_mean = swa_mean + (model - swa_mean) / (n_averaged + 1)
                        n_averaged += 1
                elif kind == "half_life":
                    d = half_life_decay(params["decay"], step, params["half_life"])
                else:
                    d = params["decay"]
                d = d ** (update_every * batch_scale)
                ema = d * ema + (1 - d) * model
                if kind == "swa" and swa_mean is not None:
                    assert np.allclose(ema, swa_mean, rtol=1e-12, atol=1e-12)
                handed = ema
            if switch_every and step % switch_every == 0:
                model = model + switch_blend * (handed - model)
        out.append({"step": step, "ema": handed.tolist(), "model": model.tolist()})
    return out


def trajectory_cases():
    rng = np.random.default_rng(22)
    size, steps = 6, 12
    initial = rng.normal(size=size).tolist()
    deltas = (rng.normal(size=(steps, size)) * 0.3).tolist()
    specs = [
        ("swa", {"swa_start": 0}, {}),
        ("swa", {"swa_start": 4}, {}),
        ("half_life", {"decay": 0.9, "half_life": 0.25}, {}),
        ("bema", {"ema_power": 0.5, "bias_power": 0.2, "lag": 10.0, "multiplier": 1.0, "update_after": 0}, {}),
        ("bema", {"ema_power": 0.5, "bias_power": 0.4, "lag": 2.0, "multiplier": 1.0, "update_after": 3}, {}),
        ("constant", {"decay": 0.9}, {"batch_scale": 2.0}),
        ("constant", {"decay": 0.9}, {"batch_scale": 0.5, "update_every": 2}),
        ("constant", {"decay": 0.8}, {"switch_every": 3, "switch_blend": 1.0}),
        ("constant", {"decay": 0.8}, {"switch_every": 2, "switch_blend": 0.25}),
        ("bema", {"ema_power": 0.5, "bias_power": 0.2, "lag": 10.0, "multiplier": 1.0, "update_after": 0},
         {"switch_every": 4, "switch_blend": 0.5}),
    ]
    return [{"decay_type": kind, "params": params, "options": options, "initial": initial, "deltas": deltas,
             "expected": trajectory(kind, params, options, initial, deltas)} for kind, params, options in specs]


def update_bn_case():
    import torch
    from torch.optim.swa_utils import update_bn

    torch.manual_seed(22)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
        model[1].running_mean.copy_(torch.randn(4))
        model[1].running_var.copy_(torch.rand(4) + 0.5)
        model[1].num_batches_tracked.fill_(7)
    state = {k: v.tolist() for k, v in model.state_dict().items()}
    # The EMA's weights: other values, so the recomputed statistics differ from the model's.
    ema = {k: (v + 0.5 * torch.randn_like(v.float())).tolist() if v.is_floating_point() else v.tolist()
           for k, v in model.state_dict().items()}
    batches = [torch.randn(n, 3) for n in (5, 8, 3)]
    ema_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ema_model.load_state_dict({k: torch.tensor(v, dtype=model.state_dict()[k].dtype) for k, v in ema.items()})
    ema_model.eval()
    update_bn(batches, ema_model)
    after = {k: v.tolist() for k, v in ema_model.state_dict().items()}
    return {"model": state, "ema": ema, "batches": [b.tolist() for b in batches], "expected": after,
            "torch": torch.__version__}


def main():
    data = {"schedules": schedule_cases(), "trajectories": trajectory_cases(), "update_bn": update_bn_case()}
    with open(os.path.join(HERE, "averaging_reference.json"), "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
