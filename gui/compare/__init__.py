"""The Compare tab and its plan dialog: a queue of runs that differ in one thing, a fair table of them."""
