"""Reference values of the `cosine` decay schedule (BYOL / DINO teacher momentum).

decay_t = 1 - (1 - decay) * (cos(pi * min(step / total_steps, 1)) + 1) / 2

Computed in float64 with torch when it is installed (Debian's python3-torch), else with Python's math module;
both are printed side by side when torch is there, and must agree to 1e-15. Writes cosine_decay.json next to
this script. Run: /usr/bin/python3 tests/reference/cosine_reference.py
"""
import json
import math
import os

try:
    import torch
except ImportError:  # plain Python is enough for the formula
    torch = None

DECAYS = [0.9, 0.99, 0.996, 0.9999]
TOTALS = [1, 4, 37, 1000, 250000]


def with_math(decay, step, total):
    progress = min(step / total, 1.0)
    return 1.0 - (1.0 - decay) * (math.cos(math.pi * progress) + 1.0) / 2.0


def with_torch(decay, step, total):
    progress = torch.clamp(torch.tensor(step, dtype=torch.float64) / total, max=1.0)
    return float(1.0 - (1.0 - decay) * (torch.cos(math.pi * progress) + 1.0) / 2.0)


def steps_for(total):
    return sorted({0, 1, total // 4, total // 3, total // 2, total - 1, total, total + 5} - {-1})


cases = []
for decay in DECAYS:
    for total in TOTALS:
        for step in steps_for(total):
            expected = with_math(decay, step, total)
            if torch is not None:
                other = with_torch(decay, step, total)
                assert abs(other - expected) <= 1e-15, (decay, step, total, expected, other)
            cases.append({"decay_type": "cosine", "decay": decay, "step": step, "total_steps": total, "expected": expected})

about = ("Decay value of the cosine schedule for each (decay, step, total_steps), float64: "
         "1 - (1 - decay) * (cos(pi * min(step / total_steps, 1)) + 1) / 2. Written by cosine_reference.py"
         + (f" (checked against torch {torch.__version__})." if torch is not None else "."))
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cosine_decay.json")
with open(path, "w") as f:
    json.dump({"about": about, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"{len(cases)} cases -> {path}")
