"""Who may call and what they may do: bearer tokens (auth.py) and the Casbin policy (authz.py)."""
