"""The reference server as a fake Coder for client authors: recording, controls, the control API, client findings."""
