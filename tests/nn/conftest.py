"""Fixtures shared by the nn tests: scikit-learn's 8x8 digits split once for the training tests, and a one-thread
BLAS limit for them."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def digits_split():
    """A fixed, stratified 75/25 split of the 1,797 digits: (x_train, y_train, x_test, y_test), pixels scaled from
    0..16 to 0..1 as float32 rows of 64, labels int64. Callers reshape to (N, 1, 8, 8) for images."""
    datasets = pytest.importorskip("sklearn.datasets")  # a test-only dependency (the project's dev extra has it)
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    test = np.zeros(len(x), dtype=bool)
    for label in range(10):  # a quarter of each class goes to the test set
        members = order[y[order] == label]
        test[members[: len(members) // 4]] = True
    split = (x[~test], y[~test], x[test], y[test])
    for a in split:
        a.flags.writeable = False  # shared by every test of the session: none may change it
    return split


@pytest.fixture
def one_blas_thread():
    """Matrices as small as these models' multiply fastest on one thread; on a busy machine BLAS threads waiting for
    each other made training 20x slower."""
    threadpoolctl = pytest.importorskip("threadpoolctl")  # installed with scikit-learn
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield
