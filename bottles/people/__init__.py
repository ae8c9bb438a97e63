"""People: the admins' pages to manage accounts, roles and the sites each person is attached to."""
