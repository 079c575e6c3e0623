"""Running the hub as operators do: health and readiness, metrics, the worker's heartbeat (see README "Operations")."""
