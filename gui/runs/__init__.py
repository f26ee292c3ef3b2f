"""The Runs tab: every run compared in a table and curves, and the run folders on disk."""
