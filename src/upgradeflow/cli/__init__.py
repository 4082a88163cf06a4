"""The ``upgradeflow`` command line: one module per command group under ``main``'s
parser, and the argument helpers (``args``) that the groups and the pipeline steps share,
so that an option such as ``--store`` is declared once. Nothing is imported here, so a
step that needs only the helpers does not load every command."""
