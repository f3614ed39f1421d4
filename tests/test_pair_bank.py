"""The pair bank: pairs synthesised once and drawn many times with the same crop, flip and
turn on both sides; a slice refreshed at a time; kept in a cache file across runs. And the
exposure variation of sharp crops."""
from __future__ import annotations

import numpy as np
import torch

from models.training.exposure import vary_exposure
from models.training.pair_bank import PairBank


def _maker(side: int, counter: list):
    def make():
        counter.append(1)
        base = torch.rand(4, 3, side, side)
        return (base * 0.5, base)          # 'blurred' is half the 'sharp': a known relation
    return make


def test_drawn_pairs_keep_their_relation_through_crops_flips_and_turns():
    calls = []
    bank = PairBank(_maker(40, calls), size=8, crop=24, seed=0, refresh_every=1000)
    assert len(calls) == 2                                  # 8 pairs, 4 per synthesis
    blurred, sharp = bank.batch(16)
    assert blurred.shape == sharp.shape == (16, 3, 24, 24)
    # uint8 storage rounds each side separately: half of the sharp within one step.
    assert (blurred - sharp * 0.5).abs().max() <= 1.5 / 255
    seen = {tuple(np.round(s[0, :2, :2].flatten().numpy(), 3)) for s in sharp}
    assert len(seen) > 8                                    # more views than stored pairs


def test_a_slice_is_refreshed_every_few_draws_and_the_bank_reloads(tmp_path):
    calls = []
    cache = tmp_path / "bank.pt"
    bank = PairBank(_maker(32, calls), size=8, crop=32, refresh_every=2, cache=cache)
    before = bank.sharp.clone()
    bank.batch(2)
    assert torch.equal(bank.sharp, before)
    bank.batch(2)                                           # the second draw refreshes
    changed = (bank.sharp != before).flatten(1).any(1)
    assert int(changed.sum()) == 4 and len(calls) == 3
    again = PairBank(_maker(32, calls), size=8, crop=32, cache=cache)
    assert len(calls) == 3 and torch.equal(again.sharp, before)   # loaded, not synthesised


def test_a_bank_made_with_other_settings_is_not_reused(tmp_path):
    calls = []
    cache = tmp_path / "bank.pt"
    PairBank(_maker(32, calls), size=8, crop=32, cache=cache, key="clean targets")
    assert len(calls) == 2
    PairBank(_maker(32, calls), size=8, crop=32, cache=cache, key="noisy targets")
    assert len(calls) == 4                                  # synthesised again
    PairBank(_maker(32, calls), size=8, crop=32, cache=cache, key="noisy targets")
    assert len(calls) == 4                                  # and that one is reused


def test_exposure_variation_brightens_darkens_and_clips_like_a_sensor():
    sharp = torch.full((64, 3, 8, 8), 0.5)
    varied = vary_exposure(sharp, np.random.default_rng(0), prob=1.0, saturation=(1.0, 1.0))
    means = varied.flatten(1).mean(1)
    assert means.min() < 0.4 and means.max() > 0.65 and varied.max() <= 1.0
    untouched = vary_exposure(sharp, np.random.default_rng(0), prob=0.0)
    assert torch.equal(untouched, sharp)
