"""The demo world: a real kindergarten curriculum, classes and a few weeks of simulated activity."""
