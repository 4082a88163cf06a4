"""Online backfilling (DESIGN §4): re-extracting the gallery with the new model while
serving, the order it goes in, and searching a gallery that is part old, part new."""
