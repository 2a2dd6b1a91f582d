"""Standard inputs (CONTRACT.md section 8): GA4GH Phenopacket v2 read into a validated ``Case``, and a
result written back as a phenopacket ``interpretations`` block. Imported only when asked for: plain
cases never pay for it."""
