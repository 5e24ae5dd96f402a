"""What an auditor runs outside the archive: the offline verifier of evidence packs."""
