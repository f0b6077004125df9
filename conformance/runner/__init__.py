"""How a run goes. Its rooms, from the bottom of the import chain up: process, records, settings, http, tasks,
target, outcomes; the run itself here (run.py, scope.py, fixtures.py). CONTRIBUTING.md, "Layout", says what each holds.
"""
