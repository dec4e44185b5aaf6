"""Sign-in, accounts and (later) roles, visibility, consent and audit."""
