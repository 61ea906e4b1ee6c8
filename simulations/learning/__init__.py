"""Learners fitted on imported history: the engagement forecast and the reaction model.

Pure (no Django, no engine world): the insight and runs rooms feed them plain rows and store
the fitted models as JSON, never pickles, so a stored model re-applies exactly and can be read.
"""
