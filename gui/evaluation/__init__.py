"""The Evaluate tab: test results of a run or of any model on the shown data, and the report."""
