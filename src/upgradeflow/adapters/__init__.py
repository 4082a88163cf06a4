"""Adapters between two fixed embedding spaces, chosen from a family of candidate maps.

Every controlled comparison published has a constrained closed-form map (centred least
squares, centred Procrustes) tying or beating a free MLP between two embedding spaces;
a learned map helps only when it starts from the closed form and adds what the closed
form cannot express. So the family holds closed forms and a residual learned on top of
the best of them, and the choice is made by retrieval on held-out identities, never by
regression error.
"""
