"""Learnify's recommender: mastery estimates, next-lesson policies, training and evaluation.

This package imports nothing from Django or `learnify`: it takes pandas DataFrames and returns DataFrames, so it
can be tested and benchmarked alone and run by an outside ML team on exported tables.
"""
