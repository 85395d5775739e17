"""Live PBX access: one package per PBX API; a tenant connection reads live state and writes changes."""
