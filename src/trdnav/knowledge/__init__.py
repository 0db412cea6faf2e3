"""Knowledge base: versioned, cited data files, their schemas and the loader."""
