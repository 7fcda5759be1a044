"""Listening: what people say about the shop's products, from every network."""
