"""Funding: 360Giving grants by neighbourhood, needs-based allocation, bidding simulation.

Modules: ``threesixty`` (read 360Giving files), ``postcodes`` (NSPL/ONSPD lookups), ``locate``
(where each grant lands), ``grants_store`` (import into the store), ``summary`` (per-head
figures), ``allocate`` (the formula) and ``bidding`` (a competitive round simulated).
"""
