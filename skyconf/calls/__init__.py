"""Call history from the PBX's call records: reading, reports, and checking routing against them."""
