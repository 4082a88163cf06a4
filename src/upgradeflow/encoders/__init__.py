"""Pretrained and built-in encoders behind one interface: raw items in, unit vectors out.

Every encoder loads from a local path or an installed package, never from a model hub,
so a pipeline step embeds the same way on an air-gapped worker as on a laptop.
"""
