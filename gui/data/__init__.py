"""The Data form (1 · Data): the dataset, how a folder is fed, its preview, and *New dataset…*."""
