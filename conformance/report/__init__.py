"""Outputs of a run: the terminal summary, results.json, JUnit XML and the HTML report."""
