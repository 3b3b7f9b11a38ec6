"""Learning from complaints: the residents' satisfaction with the handling, the behoorlijkheids-
normen of upheld complaints, and the measures register (what was changed because of complaints).
"""
