"""Field operations: turfs, walk lists, questionnaires, visits, assignments, alerts."""
