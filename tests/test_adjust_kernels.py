"""The compiled row passes of adjusted comparisons (:mod:`coopmetrics.adjust_kernels`, numba).

Each kernel against the quantity written out with explicit one-hot design matrices (the
logit's gradient, Hessian and log-likelihood per cell); numba stays out of ``import
coopmetrics`` and of small calls; a read-only installation (no cache location) still works,
silently. End-to-end equality with the numpy path and the per-cell route is in
tests/test_adjust_batch.py (``test_compiled_kernels_equal_the_numpy_path``).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from coopmetrics import adjust_segments as segments
from coopmetrics.adjust_segments import Chunk, Layout

pytest.importorskip("numba")  # the compiled passes are optional (adjust_segments.KERNEL_ROWS)


def _chunk(seed: int, nc: int, joint: bool) -> tuple[Chunk, np.ndarray, np.ndarray]:
    """A chunk with two numeric and two text covariates, its one-hot design (slot order) and cells."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(nc, 60))
    cid = np.sort(np.r_[np.arange(nc), rng.integers(0, nc, n - nc)])
    lay = Layout(names=np.array(["", "s", "a=x", "a=y", "a=z", "u", "b=p", "b=q"], dtype=object), dense=[1, 5],
                 blocks=[(2, 3), (6, 2)])
    a, b = rng.integers(0, 3, n), rng.integers(0, 2, n)
    dense = np.column_stack([rng.normal(0, 30, n), rng.normal(size=n)])
    with mock.patch.object(segments, "_COMBO_MAX", 4096 if joint else 0):
        ch = Chunk.build(cid, nc, dense, [a, b], lay)
    x = np.column_stack([np.ones(n), dense[:, 0], *(a == k for k in range(3)), dense[:, 1], *(b == k for k in range(2))]
                        ).astype(float)
    return ch, x, cid


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), nc=st.integers(1, 4), joint=st.booleans(), binary=st.booleans())
def test_newton_passes_equal_the_explicit_logit_quantities(seed, nc, joint, binary):
    from coopmetrics import adjust_kernels as kern

    ch, x, cid = _chunk(seed, nc, joint)
    assert (segments.joint_key(ch) is not None) == joint
    rng = np.random.default_rng(seed + 1)
    n = len(cid)
    y = (rng.random(n) < 0.4).astype(float) if binary else rng.random(n)
    w, raw = rng.uniform(0.5, 2, n), rng.normal(0, 3, n)
    fit = rng.random(n) < 0.85
    cells = rng.random(nc) < 0.8
    step = rng.normal(0, 0.1, (nc, ch.lay.size))
    xs, eta, p = np.zeros(n), np.zeros(n), np.full(n, -1.0)
    ll = kern.newton_step(ch, step, y, w, raw, fit, cells, binary, 30.0, xs, eta, p)
    g, gv = kern.newton_sums(ch, y, w, p, fit, cells)
    for c in range(nc):
        m = (cid == c) & fit
        if not cells[c]:
            assert ll[c] == 0 and not g[c].any() and not gv[c].any()
            continue
        e = np.clip(raw[m] + x[m] @ step[c], -30, 30)
        np.testing.assert_allclose(xs[m], x[m] @ step[c], rtol=1e-12, atol=1e-12)
        # the log-likelihood of a logit, written out (fits._loglik_terms)
        want = (w[m] * (y[m] * e - np.log1p(np.exp(e)))).sum()
        np.testing.assert_allclose(ll[c], want, rtol=1e-11, atol=1e-11)
        pc = expit(e)
        np.testing.assert_allclose(p[m], pc, rtol=1e-13)
        np.testing.assert_allclose(gv[c], x[m].T @ (w[m] * (y[m] - pc)), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(g[c], (x[m] * (w[m] * pc * (1 - pc))[:, None]).T @ x[m], rtol=1e-10, atol=1e-10)
    # commit: raw += xs on the fitted rows of the cells, per cell max |raw| and max |xs|
    before = raw.copy()
    big, most = kern.newton_commit(ch, raw, xs, fit, cells)
    rows = cells[cid] & fit
    np.testing.assert_array_equal(raw[rows], before[rows] + xs[rows])
    np.testing.assert_array_equal(raw[~rows], before[~rows])
    for c in np.flatnonzero(cells):
        m = (cid == c) & fit
        assert big[c] == (np.abs(raw[m]).max() if m.any() else 0.0)
        assert most[c] == (np.abs(xs[m]).max() if m.any() else 0.0)


def test_import_and_small_calls_do_not_load_numba():
    """numba (≈0.5 s import and cache load) only when asked for (KERNEL_ROWS, off by default) and then
    for chunks of that many rows: not at import, not for a small call even when switched on."""
    code = ("import sys, numpy as np, pandas as pd\n"
            "import coopmetrics, coopmetrics.adjust, coopmetrics.adjust_segments as seg\n"
            "seg.KERNEL_ROWS = 20_000\n"
            "from coopmetrics.compare import compare_values\n"
            "assert 'numba' not in sys.modules\n"
            "rng = np.random.default_rng(0)\n"
            "v = pd.DataFrame({'program': rng.choice(['regular', 'order_class'], 400), 'x': rng.normal(size=400),\n"
            "                  'g': rng.choice(list('ab'), 400)})\n"
            "v['value'] = (rng.random(400) < 0.4).astype(float)\n"
            "compare_values(v, 'proportion', adjust=['x', 'g'])\n"
            "print('numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_a_cache_location_the_kernels_compile_silently():
    """A read-only installation without a usable per-user cache directory: numba finds no cache
    locator (it raises at decoration); the kernels are then compiled per process, no warning."""
    import numba.core.caching as caching

    from coopmetrics import adjust_kernels

    class _Nowhere:
        @classmethod
        def from_function(cls, py_func, py_file):
            return None

    ch, x, cid = _chunk(3, 3, True)
    v = np.random.default_rng(0).normal(size=len(cid))
    try:
        with mock.patch.object(caching.CacheImpl, "_locator_classes", [_Nowhere]):
            with pytest.raises(RuntimeError, match="no locator available"):  # what numba does there
                import numba

                numba.njit(cache=True)(lambda a: a)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                kern = importlib.reload(adjust_kernels)
                got = kern.vec(ch, v)
            assert kern._joint_k._cache.__class__.__name__ == "NullCache"
        for c in range(3):
            np.testing.assert_allclose(got[c], x[cid == c].T @ v[cid == c], rtol=1e-12, atol=1e-12)
    finally:
        importlib.reload(adjust_kernels)  # the cached kernels again
