"""Customer support: complaints and questions become cases linked to the right order."""
