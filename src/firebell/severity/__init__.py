"""The severity matrix and the assessment criteria."""
