"""Derived indexes: the Whoosh keyword index, passage embeddings and the filter catalog."""
