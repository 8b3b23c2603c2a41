"""django-import-export resources: how a spreadsheet's columns map onto the ledger."""
