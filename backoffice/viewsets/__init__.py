"""Admin listings (STYLE 4): one ModelViewSet per model, one module per domain."""
