"""What the network says a CRN's state should be: the one place where the
simulation side meets the network (forward pass, every rail's fixed point,
the settling-time bound). Simulators never see it; the acceptance check and
validation do (docs/design.md, "How steady states are found and accepted")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .crn import CRN
from .network import Network
from .theory import settling_time


@dataclass(frozen=True, eq=False)
class Reference:
    """``network`` is what ``crn`` must compute; inputs are network-level values."""

    network: Network
    crn: CRN

    def expected_state(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Every floating species' fixed point (each rail r of a unit at
        sigma(s_r z + t_r) of the network's pre-activation), (B, n), in
        ``crn.floating`` order."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        rails = [layer.fn.rail_values(z, layer.epsilon)
                 for layer, z in zip(self.network.layers, self.network.preactivations(x))]
        return np.stack([rails[s.layer - 1][:, s.unit, s.rail] for s in self.crn.floating], axis=1) \
            if self.crn.floating else np.zeros((len(x), 0))

    def outputs(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """The forward pass, (B, n_outputs)."""
        return np.atleast_2d(np.asarray(self.network.forward(np.atleast_2d(np.asarray(x, dtype=float))), dtype=float))

    def settling_time(self, x: Sequence[float] | np.ndarray, tol: float = 1e-6, speed: float | None = None) -> float:
        """Time for the CRN started at zero to come within relative ``tol`` of its fixed point."""
        return settling_time(self.network, np.asarray(x, dtype=float), self.crn.speed if speed is None else speed, tol)

    def output_error(self, state: np.ndarray, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Per member, max over outputs of |readout - forward pass| relative to
        the readout's scale (a signed output is a difference of rails)."""
        return self.crn.output_error(state, self.outputs(x))
