"""The batched Newton's Hessians (``fits._hessians``: ``ZᵀZ`` with ``Z = X√s``, BLAS syrk) against
the definition ``Σ_i s_i x_i x_iᵀ`` written out row by row, and the fits built on them against
the one-problem Newton (:func:`coopmetrics.fits.logit_fit`)."""

from __future__ import annotations

import numpy as np
import pytest

from coopmetrics import fits


def _by_definition(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    out = np.zeros((x.shape[0], x.shape[2], x.shape[2]))
    for c in range(x.shape[0]):
        for i in range(x.shape[1]):
            out[c] += s[c, i] * np.outer(x[c, i], x[c, i])
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("c,n,k", [(1, 5, 1), (3, 40, 6), (7, 25, 12)])
def test_hessians_equal_the_sum_of_weighted_outer_products(seed, c, n, k):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(c, n, k))
    x[:, :, 0] = 1.0
    x[:, :, -1] = rng.integers(0, 2, size=(c, n))  # a dummy column, as the designs have
    p = rng.uniform(0.01, 0.99, size=(c, n))
    w = rng.uniform(0, 3, size=(c, n))
    w[:, -2:] = 0.0  # padded rows of a stack weigh 0
    s = w * p * (1 - p)
    got = fits._hessians(x, s)
    want = _by_definition(x, s)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(got, got.transpose(0, 2, 1))  # syrk: exactly symmetric


def test_negative_weights_take_the_plain_product():
    rng = np.random.default_rng(5)
    x, s = rng.normal(size=(2, 9, 3)), rng.normal(size=(2, 9))  # some s < 0: no square root
    np.testing.assert_allclose(fits._hessians(x, s), _by_definition(x, s), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_batched_fits_equal_one_by_one(seed):
    rng = np.random.default_rng(seed)
    problems = []
    for n in (30, 45, 60, 61):
        x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
        eta = x @ np.array([-0.3, 0.8, 0.5])
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
        problems.append((y, x, rng.uniform(0.5, 2, n)))
    for (y, x, w), fit in zip(problems, fits.logit_fit_batch(problems), strict=True):
        one = fits.logit_fit(y, x, w)
        assert fit.converged == one.converged
        np.testing.assert_allclose(fit.beta, one.beta, rtol=1e-8, atol=1e-10)
