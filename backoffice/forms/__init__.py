"""Back-office forms, one module per domain; they parse input, services decide."""
