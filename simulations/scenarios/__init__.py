"""Building simulations: scenarios, stimuli and experiments, the builder pages and their API."""
