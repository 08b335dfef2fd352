"""What Firebell says: one template per purpose, rendered per channel (../shared/DESIGN.md, "Messages")."""
