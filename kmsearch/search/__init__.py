"""The search service: arms, fusion, results, serialisation and retrieval evaluation."""
