"""GUI-free services of the desktop app: settings, the archive library, its index, capture.

Nothing here imports Qt; the GUI (picd_desktop.gui) builds on these and on picd_desktop.api.
"""
