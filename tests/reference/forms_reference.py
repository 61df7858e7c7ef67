#!/usr/bin/python3
"""Reference values for the warmup, tau and power schedules and for post-hoc EMA synthesis.

Each formula is written the way its peer computes it (timm ModelEmaV3.get_decay, Ultralytics ModelEMA's
lambda, EDM2's power_function_beta / std_to_exp with np.roots and its Algorithm 3 solve), in float64, so
that the C# implementation is checked against an independent one. Run with Debian's python3 (numpy):

    /usr/bin/python3 tests/reference/forms_reference.py

It rewrites decay_schedules_forms.json and post_hoc_ema.json next to this script.
"""
import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def warmup_decay(decay, step, inv_gamma, power, min_decay, update_after_step):
    # timm ModelEmaV3.get_decay (diffusers EMAModel.get_decay computes the same numbers).
    step = max(0, step - update_after_step - 1)
    if step <= 0:
        return 0.0
    value = 1 - (1 + step / inv_gamma) ** -power
    return max(min(value, decay), min_decay)


def tau_decay(decay, step, tau):
    # Ultralytics ModelEMA: self.decay = lambda x: decay * (1 - math.exp(-x / tau))
    return decay * (1 - math.exp(-step / tau))


def std_to_exp(std):
    # EDM2: the largest real root of the cubic, found with np.roots (eigenvalues of the companion matrix).
    t = np.float64(std) ** -2
    return float(np.roots([1, 7, 16 - t, 12 - t]).real.max())


def power_decay(step, sigma_rel):
    # EDM2 power_function_beta(std, t) = (1 - 1/t) ** (gamma + 1); the schedule is 0 at steps 0 and 1.
    if step <= 1:
        return 0.0
    gamma = std_to_exp(sigma_rel)
    return (1 - 1 / step) ** (gamma + 1)


def schedule_cases():
    cases = []
    steps = [0, 1, 2, 3, 5, 10, 57, 100, 1000, 4321, 100000, 10000000]
    for decay in [0.9999, 0.999, 0.99]:
        for inv_gamma, power, min_decay, after in [(1.0, 2 / 3, 0.0, 0), (1.0, 0.75, 0.0, 0), (10.0, 2 / 3, 0.5, 0),
                                                   (1.0, 2 / 3, 0.0, 100), (0.5, 1.5, 0.9, 7)]:
            for step in steps:
                cases.append({"decay_type": "warmup", "decay": decay, "inv_gamma": inv_gamma, "power": power,
                              "min_decay": min_decay, "update_after_step": after, "step": step, "total_steps": 10000000,
                              "expected": warmup_decay(decay, step, inv_gamma, power, min_decay, after)})
        for tau in [2000.0, 1.0, 333.3]:
            for step in steps:
                cases.append({"decay_type": "tau", "decay": decay, "tau": tau, "step": step, "total_steps": 10000000,
                              "expected": tau_decay(decay, step, tau)})
    for sigma_rel in [0.01, 0.05, 0.1, 0.15, 0.2, 0.28]:
        for step in steps:
            cases.append({"decay_type": "power", "decay": 0.9999, "sigma_rel": sigma_rel, "step": step,
                          "total_steps": 10000000, "gamma": std_to_exp(sigma_rel),
                          "expected": power_decay(step, sigma_rel)})
    return cases


def p_dot_p(t_a, gamma_a, t_b, gamma_b):
    # EDM2 Algorithm 3's inner product of two power-function profiles ending at t_a and t_b.
    t_ratio = t_a / t_b
    t_exp = np.where(t_a < t_b, gamma_b, -gamma_a)
    t_max = np.maximum(t_a, t_b)
    num = (gamma_a + 1) * (gamma_b + 1) * t_ratio ** t_exp
    den = (gamma_a + gamma_b + 1) * t_max
    return num / den


def solve_weights(t_i, gamma_i, t_r, gamma_r):
    # EDM2 solve_posthoc_coefficients: least squares A x = b, A = <p_i, p_j>, b = <p_i, p_r>.
    rv = lambda x: np.float64(x).reshape(-1, 1)
    cv = lambda x: np.float64(x).reshape(1, -1)
    A = p_dot_p(rv(t_i), rv(gamma_i), cv(t_i), cv(gamma_i))
    B = p_dot_p(rv(t_i), rv(gamma_i), cv(t_r), cv(gamma_r))
    X = np.linalg.lstsq(A, B, rcond=None)[0]
    return X


def post_hoc_cases():
    cases = []
    sigma_rels = [0.05, 0.10]
    for every, last in [(10, 60), (128, 1024), (1000, 20000)]:
        snaps = []
        for step in range(every, last + 1, every):
            for sigma_rel in sigma_rels:
                snaps.append((step, sigma_rel))
        t_i = [s for s, _ in snaps]
        g_i = [std_to_exp(r) for _, r in snaps]
        for target, at in [(0.05, last), (0.07, last), (0.10, last), (0.12, last), (0.03, last), (0.08, last - every)]:
            kept = [i for i, (s, _) in enumerate(snaps) if s <= at]
            x = solve_weights([t_i[i] for i in kept], [g_i[i] for i in kept], [at], [std_to_exp(target)])
            cases.append({"sigma_rels": sigma_rels, "snapshot_every": every, "last_step": last, "sigma_rel": target,
                          "at_step": at, "snapshots": [{"step": snaps[i][0], "sigma_rel": snaps[i][1]} for i in kept],
                          "weights": [float(w) for w in x[:, 0]]})
    return cases


def write(name, about, cases):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump({"about": about, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    write("decay_schedules_forms.json",
          "Decay for the warmup (timm ModelEmaV3), tau (Ultralytics ModelEMA) and power (EDM2) schedules, float64, "
          "written by forms_reference.py; gamma of power is np.roots' largest real root.",
          schedule_cases())
    write("post_hoc_ema.json",
          "EDM2 Algorithm 3 weights (np.linalg.lstsq over power-function inner products) of each snapshot "
          "(step, sigma_rel) for a target sigma_rel at at_step, written by forms_reference.py.",
          post_hoc_cases())
