"""Property-based fuzzing of the six operations with Schemathesis and Hypothesis.

Two tiers run inside the conformance session, against the same target, with the same verdict and reports:

- the gate tier (test_gate.py): per operation, Schemathesis's examples and coverage phases plus a fixed-budget
  fuzzing phase, positive and negative data, seeded, without an example database: the same requests every run;
- the stateful tier (test_stateful.py): scenarios that follow the contract's OpenAPI links
  (create -> get / logs / send / delete), checking that created tasks are retrievable and deleted ones gone.

schema.py builds the fuzz profile of the contract and maps failure codes to requirement ids; driver.py sends the
cases, records evidence, applies the tolerances the API's documentation allows (tolerance.py) and the auth guard
(guard.py), and turns Schemathesis failures into conformance failures.
"""
