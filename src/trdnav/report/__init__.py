"""Pure renderers of an Assessment (text, JSON); they hold no clinical logic."""
