"""Statistical library of circo: ecological inference, vote transfers, targeting scores.

A pure library — numpy and scipy in, numpy out; it never imports the database, the web app or
the CLI, so it can be used from a notebook::

    from circo.analysis import ei
    est = ei.fit_ei(X, T, group_names=[...], candidate_names=[...])
    print(est.summary())
"""

from circo.analysis.errors import AnalysisError, EIInputError, NotFittedError

__all__ = ["AnalysisError", "EIInputError", "NotFittedError"]
