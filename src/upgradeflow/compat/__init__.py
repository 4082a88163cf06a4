"""Compatibility objectives: the losses that tie a new model to the old one."""
