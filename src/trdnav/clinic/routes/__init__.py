"""One route module per resource: auth, patients, admin."""
