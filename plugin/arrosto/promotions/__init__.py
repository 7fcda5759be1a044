"""Promotions: tell the people who discussed a product about its sale, within the rules."""
