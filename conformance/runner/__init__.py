"""How a run goes: configuration, transport and client, preflight, tasks, expectations, verdict."""
