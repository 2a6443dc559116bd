"""The quality benchmark's parts: labelled data sets and null controls (datasets), the
baselines a user would otherwise run (baselines), one data set and seed through segscope and
the baselines (runner), and the targets checked on the results (criteria)."""
