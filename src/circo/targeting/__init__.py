"""Applications of the analysis library: EI on files, vote transfers, bureau targeting.

``circo.analysis`` stays pure (numpy in, numpy out); this package reads files and the database
(through the elections services), runs the estimators and presents the results (CLI, web).
"""
