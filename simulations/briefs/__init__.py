"""From a brief to a world: a pasted or uploaded document, a hosted model's draft of the
stakeholders, opening posts and closing question, edited by a person, then a panel and a scenario.

``parse``, ``draft`` and ``extract`` are pure (no Django: the import-linter contract
``pure-modules`` says so); ``services`` is the one place that writes.
"""
