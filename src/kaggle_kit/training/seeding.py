"""All randomness derives from (seed, fold, epoch), so any fold or epoch can be replayed."""

import numpy as np


def derive_seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]).generate_state(1)[0])
