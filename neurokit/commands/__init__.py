"""The CLI's support code: run a core function, then print what it returned.

`neurokit/cli.py` parses and delegates here; core returns data and never prints.
"""
