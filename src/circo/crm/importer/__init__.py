"""Import of contacts from CSV or XLSX: read, suggest a column mapping, validate, commit.

The commit is atomic: either every valid row is written (with its consent records, tags,
household and an "import" line on its timeline) or, on any problem, nothing is. Rows whose email
or phone is on the suppression list (people who asked for erasure or objected) are skipped.

Modules: `circo.crm.importer.reading` (CSV/XLSX → `ParsedFile`), `circo.crm.importer.mapping`
(header → field: `FIELDS`, `suggest_mapping`, `resolve_mapping`), `circo.crm.importer.validation`
(`plan_import`, `preview`: every row normalised and checked, nothing written) and
`circo.crm.importer.commit` (`commit_import`: the atomic write).
"""
