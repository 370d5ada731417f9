"""Generated Ledger API stubs (scripts/gen_protos); see docs/ledger-api.md."""
