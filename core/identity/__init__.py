"""Identity: users and roles, sign-up, one-time login codes, password links."""
