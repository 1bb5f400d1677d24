"""Contribution and review: permissions, drafts to publication, uploads, diffs."""
