"""The JSON API under /api/v1 (PRODUCT.md Contracts 3), token-authenticated: each module serves
one domain's records with the same list filters and queries as its pages."""
