"""Online backfilling (Seo et al., WACV 2025): re-extracting the gallery with the new model while
serving, the order it goes in, and searching a gallery that is part old, part new."""
