"""The main window and what is its own: menus, help, the loading page, the forms column and the
next-step strip. It imports the tab packages; no tab package imports it."""
