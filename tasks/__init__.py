"""The lm-eval task YAML of the J1 benchmarks (installed as ``j1_plugin.tasks``).

A data package: lm-eval reads the ``*.yaml`` files in this folder (``--include_path`` or
``j1 eval``); nothing here is imported as code.
"""
