"""Plugin under construction: registers nothing yet."""
