// Package sigmfschema checks SigMF metadata against the official SigMF 1.0.0
// metadata JSON schema (sigmf-schema.json, embedded; SCHEMA-SOURCE.md says
// where it comes from), so the tests of every package that writes SigMF can
// show that other tools will open what it writes.
//
// The schema is kept as published and adapted when it is compiled:
//   - Patterns Go's RE2 cannot compile (core:datetime's look-ahead and
//     back-references) are relaxed: look-aheads are dropped and
//     back-references become an optional separator. sigmf.ParseMeta checks
//     datetimes strictly with time.Parse.
//   - Every subschema's fragment-only "$id" ("#/properties/global"), which
//     the schema's declared draft 2020-12 forbids, is dropped; they carry no
//     constraint.
//
// The schema says nothing of order; sigmf.ParseMeta checks that captures and
// annotations are sorted by sample_start.
package sigmfschema
