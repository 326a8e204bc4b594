"""Organisations, campaigns (tenants), users, roles, auth, audit log, email, jobs."""
