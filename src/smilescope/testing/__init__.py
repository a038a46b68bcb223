"""Tools for the tests and benchmarks, not used by the product.

* :mod:`smilescope.testing.synth` renders ground-truth face videos: real photos whose regions
  move by a known number of millimetres, encoded with H.264.
* :mod:`smilescope.testing.fit` fits the smile-score model
  (:mod:`smilescope.measures.smile_score`) from labelled photos (``benchmarks/genki4k.py``).

Nothing under ``smilescope`` outside this package imports it.
"""
