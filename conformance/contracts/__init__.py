"""What the Tasks API promises: the OpenAPI contract and the requirement catalogue."""
