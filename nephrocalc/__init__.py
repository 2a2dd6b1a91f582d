"""nephrocalc: a ranked, explained differential diagnosis of nephrocalcinosis.

Decision support for clinicians, not a diagnosis.

The package is layered so that data flows one way::

    input -> validated Case (case.py) -> engine (engine.py) -> Result (result.py) -> renderer

The knowledge lives in TOML rule files (``rules/``), validated at load time (rules_schema.py,
knowledge.py). Nothing in the core prints or touches files except the rule loader.
"""

__version__ = "0.1.0"
