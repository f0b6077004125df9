"""What a conforming Coder server of one release does, and nothing else (see app.py)."""
