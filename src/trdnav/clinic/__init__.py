"""The clinic web app: a face over the engine (routes, templates, static) with its own store.

It stores the native record and the Assessment JSON the engine produced (with the engine and
knowledge-base versions); it renders them and never recomputes clinical logic.
"""
