"""The main window and what is its own: menus, help, the loading page, the forms column, the
next-step strip, and ``wiring``, the one module that connects panels to each other. It imports the
tab packages; no tab package imports it, nor another tab package."""
