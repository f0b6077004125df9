"""`tasks-conformance audit`: recorded HTTP traffic (HAR files, VCR.py cassettes) judged offline against the
contract of each exchange's generation.

- recordings.py reads the files, streaming, into `Recorded` exchanges (bodies decoded, bounded);
- judge.py finds each exchange's operation and profile and judges it by that profile's OpenAPI document;
- command.py is the command: the lines, the summary, `--json`, the exit code.
"""

PASSED, FAILED, IGNORED = "pass", "fail", "ignored"  # what an audit says of an exchange
