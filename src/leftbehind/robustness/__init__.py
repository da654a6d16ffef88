"""Uncertainty and sensitivity analysis of the 'left behind' classification.

* :mod:`.choices` - the uncertain choices as data (weights, aggregation, population year,
  thresholds);
* :mod:`.sampling` - Monte Carlo draws and Saltelli A/B/AB_i designs;
* :mod:`.engine` - vectorised evaluation of many plausible lists at once;
* :mod:`.results` - per-area robustness, summary, caching, :func:`robustness_for_area`;
* :mod:`.sensitivity` - first- and total-order Sobol indices with bootstrap intervals;
* :mod:`.vintage` - 2019 ward list against the 2023 LSOA list;
* :mod:`.charts` - SVG of ``p_left_behind`` against nominal ranks;
* :mod:`.stage` - the build stage writing ``robustness_results``.
"""

from leftbehind.robustness.results import (
    RobustnessResult,
    robustness_for_area,
    run_robustness,
)

__all__ = ["RobustnessResult", "robustness_for_area", "run_robustness"]
