"""Customer support: cases and linking them to orders."""
