"""Per-pixel standardisation, fitted on the training images only.

Two modes:
  safe  (default) scale = std, and 1 where std is 0 (as scikit-learn's StandardScaler does).
  seed  the article's scale = std + 1e-9. A pixel that is blank in every training image has std 0,
        so a test image with any ink there is divided by 1e-9 and its value explodes (~1e10-1e11):
        that alone is why the article misclassifies test image 1749.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import SCALINGS, ConfigError

SEED_EPSILON = 1e-9  # the article's `+ 0.000000001`


@dataclass(frozen=True)
class Standardiser:
    """mean, scale: (n0,) float64; blank: (n0,) bool, pixels constant over the training set."""

    mean: np.ndarray
    scale: np.ndarray
    blank: np.ndarray
    mode: str

    @classmethod
    def fit(cls, x_rows: np.ndarray, mode: str = "safe") -> Standardiser:
        """x_rows: (m, n0) training images, any numeric dtype."""
        if mode not in SCALINGS:
            raise ConfigError("scaling must be one of {choices}, got {value!r}", choices=", ".join(SCALINGS),
                              value=mode)
        x = np.asarray(x_rows)
        mean = x.mean(axis=0, dtype=np.float64)                 # (n0,)
        std = x.std(axis=0, dtype=np.float64)                   # (n0,)
        blank = std == 0
        scale = std + SEED_EPSILON if mode == "seed" else np.where(blank, 1.0, std)
        return cls(mean, scale, blank, mode)

    def transform(self, x_rows: np.ndarray, dtype=np.float64) -> np.ndarray:
        """x_rows: (k, n0) -> X: (n0, k) standardised, in `dtype` (the article's (n0, m) layout).

        Computed in float64 then cast, so float32 and float64 runs see the same rounded inputs.
        The result is the transpose of a C-contiguous (k, n0) array: rows stay samples in memory.
        """
        rows = (np.asarray(x_rows, dtype=np.float64) - self.mean) / self.scale  # (k, n0)
        return rows.astype(dtype, copy=False).T

    def active(self) -> np.ndarray:
        """Indices of pixels that vary in training; the others are 0 after scaling for every training image."""
        return np.flatnonzero(~self.blank)
