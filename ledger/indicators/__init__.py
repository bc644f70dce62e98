"""Indicators beside the money (issue 20): measurements in, outcomes out.

``outcomes.py`` computes what a group's money bought beside the indicators it agreed to;
the measurements come from ``indicators.csv`` through the one writing path and are checked by
`verify`.
"""
