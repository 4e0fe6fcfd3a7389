"""The validation suite: `python -m validation` validates every model in
models/ (each network JSON, and each generated SBML against the JSON it was
compiled from), writes build/validation/<model>/report.{json,html} and an
index, and exits 0 when every check passes, 1 when one fails."""
