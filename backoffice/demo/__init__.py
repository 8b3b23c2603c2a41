"""Demo data (make run, tests, benchmarks): accounts, a bulk ledger, reports, casework.

Never in production: every entry point calls `require_demo_allowed`."""
