"""`make load`: several `hub serve` and `hub worker` processes on PostgreSQL and SeaweedFS (S3) behind a round-robin
proxy, a crowd of simulated users doing the real mix, a SIGKILL of one server and one worker part-way, and an
exactly-once check of everything the users were told was done (issue 16, "Measured, side by side").

- :mod:`bench.load.stack`: the processes (PostgreSQL, SeaweedFS, the SMTP sink, servers, workers) and the kill;
- :mod:`bench.load.proxy`: the round-robin TCP proxy that skips a dead backend;
- :mod:`bench.load.seed`: organisations, people with TOTP, cases and threads;
- :mod:`bench.load.users`: one simulated user, its actions and their timings;
- :mod:`bench.load.check`: the exactly-once check afterwards;
- :mod:`bench.load.run` / ``python -m bench.load``: it all together, printed as tables.
"""
