"""The named switches of the reference: faults (deviations the suite must catch) and variations (behaviours a
correct server may show, which the suite must accept). kinds.py says what a switch is; one file per area of the API
holds its switches, each whole (its entry and every function it uses); registry.py gathers them."""
