"""Election day: results night (entry of the procès-verbaux, live aggregation, projection).

Procurations and assesseurs/délégués are planned (issue 16) and not built yet."""
