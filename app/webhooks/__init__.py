"""Takedown referrals by signed webhook: Standard Webhooks signing, SSRF-safe delivery."""
