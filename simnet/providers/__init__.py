"""Providers: where an organization's decisions come from (configurations, the wrapped provider a run
uses, the decision cache) and what its hosted models cost against its monthly budget."""
